/**
 * What the servers acknowledged: for each thread, the longest event list any 2xx answer showed. Two
 * answers that disagree about the event at one position are a fork, recorded as they arrive.
 */
import { canonicalJson } from "agentfold/runtime";

export interface Fork {
  threadId: string;
  seq: number;
  first: string;
  second: string;
}

export class AcknowledgedLog {
  /** Per thread: the canonical JSON of each acknowledged event, by seq. */
  readonly threads = new Map<string, string[]>();
  readonly forks: Fork[] = [];
  responses = 0;

  /** Records one 2xx answer's thread view. */
  record(view: { id?: unknown; events?: unknown }): void {
    if (typeof view.id !== "string" || !Array.isArray(view.events)) return;
    this.responses += 1;
    const known = this.threads.get(view.id) ?? [];
    view.events.forEach((event, seq) => {
      const text = canonicalJson(event);
      if (seq >= known.length) known.push(text);
      else if (known[seq] !== text) this.forks.push({ threadId: view.id as string, seq, first: known[seq]!, second: text });
    });
    this.threads.set(view.id, known);
  }

  /** Every acknowledged event, counted once. */
  get events(): number {
    let count = 0;
    for (const events of this.threads.values()) count += events.length;
    return count;
  }
}
