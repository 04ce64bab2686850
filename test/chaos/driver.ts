/**
 * The campaign's clients: each thread is driven by one loop that launches it, approves (or rejects)
 * its calls, answers its questions and sends it a further message, always with an Idempotency-Key
 * and retrying on any server until acknowledged. Every 2xx answer goes to the acknowledged log.
 */
import { randomUUID } from "node:crypto";
import type { AcknowledgedLog } from "./acknowledged.ts";
import type { ServerSlot } from "./processes.ts";

export interface DriverStats {
  launched: number;
  requests: number;
  /** Requests sent again after a network error, a timeout, a 503 or a 409 thread_busy. */
  retries: number;
  /** Answers other than 2xx, 503 and 409 thread_busy, by `status code`; a 5xx is retried, a 4xx is not. */
  unexpected: Record<string, number>;
  /** The first message of each kind of unexpected answer. */
  unexpectedMessages: Record<string, string>;
  cancels: number;
  /** Times a client found its thread failed (the runner gave up on a step), and the first reason. */
  failedSeen: number;
  failedReason: string | undefined;
}

export interface Driver {
  stats: DriverStats;
  /** Thread ids launched and acknowledged. */
  threadIds: string[];
  /** Launch keys of launches that were never acknowledged (their thread may or may not exist). */
  unacknowledgedLaunchKeys: string[];
  /** Runs `count` thread loops, at most `concurrency` at a time, until `stopAt` (Date.now()). */
  run(count: number, concurrency: number, stopAt: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number;
  body: any;
}

export function createDriver(slots: readonly ServerSlot[], log: AcknowledgedLog, random: () => number): Driver {
  const stats: DriverStats = {
    launched: 0,
    requests: 0,
    retries: 0,
    unexpected: {},
    unexpectedMessages: {},
    cancels: 0,
    failedSeen: 0,
    failedReason: undefined,
  };
  const threadIds: string[] = [];
  const unacknowledgedLaunchKeys: string[] = [];

  const pick = (): ServerSlot | undefined => {
    const serving = slots.filter((slot) => slot.serving());
    return serving[Math.floor(random() * serving.length)];
  };

  /** Sends until a server answers with something other than "try again", or `giveUpAt` passes. */
  async function call(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    key: string | undefined,
    giveUpAt: number,
  ): Promise<Answer | undefined> {
    for (let attempt = 0; Date.now() < giveUpAt; attempt++) {
      if (attempt > 0) {
        stats.retries += 1;
        await sleep(50 + Math.floor(random() * 150));
      }
      const slot = pick();
      const url = slot?.url();
      if (!url) continue;
      stats.requests += 1;
      let answer: Answer;
      try {
        const response = await fetch(new URL(path, url), {
          method,
          headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(key ? { "idempotency-key": key } : {}) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          // A stopped process never answers: give up on it and try another.
          signal: AbortSignal.timeout(4_000),
        });
        answer = { status: response.status, body: await response.json() };
      } catch {
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) {
        log.record(answer.body);
        return answer;
      }
      if (answer.status === 503 || (answer.status === 409 && answer.body?.error?.code === "thread_busy")) continue;
      // A 5xx is labelled with the fault the answering process was armed with: one from an unarmed process is a finding.
      const label = `${answer.status} ${answer.body?.error?.code ?? ""}${answer.status >= 500 ? ` (AGENTFOLD_FAULT=${slot!.fault() || "none"})` : ""}`;
      stats.unexpected[label] = (stats.unexpected[label] ?? 0) + 1;
      stats.unexpectedMessages[label] ??= `${method} ${path}: ${String(answer.body?.error?.message ?? "").slice(0, 300)}`;
      // A server error may have stored the request before failing (an injected commit-then-throw): the keyed retry finds out.
      if (answer.status >= 500) continue;
      return answer;
    }
    return undefined;
  }

  /** One thread from launch until it is finished for the client, or the campaign stops. */
  async function drive(stopAt: number): Promise<void> {
    const launchKey = randomUUID();
    const wait = () => (random() < 0.5 ? 0 : 1);
    const launched = await call("POST", `/v1/threads?wait=${wait()}`, { agent: "chaos", message: "start" }, launchKey, stopAt);
    if (!launched || launched.status >= 300) {
      unacknowledgedLaunchKeys.push(launchKey);
      return;
    }
    stats.launched += 1;
    const id = launched.body.id as string;
    threadIds.push(id);
    let messages = 0;
    let canceled = false;
    while (Date.now() < stopAt) {
      const read = await call("GET", `/v1/threads/${id}`, undefined, undefined, stopAt);
      if (!read || read.status >= 300) return;
      const thread = read.body;
      if (!canceled && random() < 0.01) {
        canceled = true;
        stats.cancels += 1;
        await call("POST", `/v1/threads/${id}/cancel`, { reason: "the client changed its mind" }, undefined, stopAt);
        continue;
      }
      const item = thread.pending?.[0];
      switch (thread.status) {
        case "running":
          await sleep(100 + Math.floor(random() * 200));
          break;
        case "awaiting_approval":
          await call(
            "POST",
            `/v1/threads/${id}/approvals/${item.callId}?wait=${wait()}`,
            { approved: random() < 0.85 },
            randomUUID(),
            stopAt,
          );
          break;
        case "awaiting_human":
          // An unknown outcome is for a person to check, not for this client: the thread waits for them.
          if (item.reason === "outcome_unknown") return;
          await call("POST", `/v1/threads/${id}/responses/${item.callId}?wait=${wait()}`, { text: "account 7" }, randomUUID(), stopAt);
          break;
        case "done":
        case "failed":
          if (thread.status === "failed") {
            stats.failedSeen += 1;
            stats.failedReason ??= String(thread.events?.at(-1)?.reason ?? "").slice(0, 300);
          }
          // One further message after done (more work); a failed thread is continued up to twice.
          if (messages >= 2 || (thread.status === "done" && messages >= 1)) return;
          messages += 1;
          await call("POST", `/v1/threads/${id}/messages?wait=${wait()}`, { text: "and more" }, randomUUID(), stopAt);
          break;
        default:
          return;
      }
    }
  }

  return {
    stats,
    threadIds,
    unacknowledgedLaunchKeys,
    async run(count, concurrency, stopAt) {
      let next = 0;
      const worker = async () => {
        while (next < count && Date.now() < stopAt) {
          next += 1;
          await drive(stopAt);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    },
  };
}
