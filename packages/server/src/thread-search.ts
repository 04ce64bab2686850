/**
 * `GET /v1/threads?q=`: search threads by agent, status, intent and text. The store lists by
 * status, agent, tenant and creation time (its contract has no text search), so the route reads the listed
 * threads and matches them here. Reading a thread per candidate is fine for a person's search; a
 * request reads at most `searchScanLimit` threads and hands back a cursor to go on from.
 */
import type { Thread, ThreadStore } from "agentfold";
import type { ThreadListPage, ThreadListQuery } from "agentfold/runtime";
import type { Caller } from "./api-keys.ts";
import { listForCaller } from "./authorization.ts";

/** The fields a term can name: `agent:notes`, `status:done`, `intent:divide`, `text:refund`. */
export const searchFields = ["agent", "status", "intent", "text"] as const;
export type SearchField = (typeof searchFields)[number];

/** One word of a search, lower case; without a field it may match any of them. */
export interface SearchTerm {
  field: SearchField | undefined;
  value: string;
}

/** The most threads one search request reads before it answers with what it found and a cursor. */
export const searchScanLimit = 500;

/** Threads read at once while searching (each is a store read). */
const readConcurrency = 16;

/**
 * The words of `q`: split on spaces, lower case; `field:value` limits a word to one field.
 *
 * @example
 * parseSearch("agent:calculator Divide") // [{ field: "agent", value: "calculator" }, { field: undefined, value: "divide" }]
 */
export function parseSearch(q: string): SearchTerm[] {
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word !== "")
    .map((word) => {
      const colon = word.indexOf(":");
      const field = searchFields.find((name) => name === word.slice(0, colon));
      return field && colon < word.length - 1 ? { field, value: word.slice(colon + 1) } : { field: undefined, value: word };
    });
}

/** Event fields that hold what people and the model wrote (messages, questions, answers, comments). */
const textFields = ["text", "question", "context", "comment", "message", "reason", "summary"] as const;

/** What a search looks at in a thread, lower case. */
export function searchableText(thread: Thread): Record<SearchField, string[]> {
  const intents = new Set<string>();
  const texts: string[] = [thread.id.toLowerCase()];
  for (const event of thread.events) {
    const fields = event as unknown as Record<string, unknown>;
    if (typeof fields.intent === "string") intents.add(fields.intent.toLowerCase());
    if (Array.isArray(fields.calls)) {
      for (const call of fields.calls as { intent?: unknown }[])
        if (typeof call.intent === "string") intents.add(call.intent.toLowerCase());
    }
    for (const name of textFields) if (typeof fields[name] === "string") texts.push((fields[name] as string).toLowerCase());
  }
  return {
    agent: [(thread.agent ?? "").toLowerCase()],
    // "awaiting_approval" is found by "awaiting" and by "approval".
    status: [thread.status, thread.status.replace("_", " ")],
    intent: [...intents],
    text: texts,
  };
}

/** Whether every term is found in its field (or in any field, for a term without one). */
export function matchesSearch(thread: Thread, terms: readonly SearchTerm[]): boolean {
  const fields = searchableText(thread);
  return terms.every((term) =>
    (term.field === undefined ? searchFields : [term.field]).some((field) => fields[field].some((value) => value.includes(term.value))),
  );
}

/**
 * A page of the caller's threads that match `terms`, newest first. It goes through the caller's
 * listing (so tenants and key scopes hold) asking for only as many threads as it still needs, so
 * each page ends on a store cursor; it stops after `searchScanLimit` reads with `nextCursor` set,
 * so a page may hold fewer than `limit` threads while more may follow.
 */
export async function searchThreads(
  store: ThreadStore,
  caller: Caller,
  query: ThreadListQuery,
  terms: readonly SearchTerm[],
): Promise<ThreadListPage> {
  const limit = query.limit ?? 50;
  const found: ThreadListPage["threads"] = [];
  let cursor = query.cursor;
  let scanned = 0;
  // Bounded in rounds too: with a key limited to some agents a store page can hold none of them.
  let rounds = 0;
  do {
    rounds += 1;
    const page = await listForCaller(store, caller, {
      ...query,
      limit: Math.min(limit - found.length, searchScanLimit - scanned),
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (let start = 0; start < page.threads.length; start += readConcurrency) {
      const batch = page.threads.slice(start, start + readConcurrency);
      const threads = await Promise.all(batch.map((summary) => store.load(summary.id)));
      batch.forEach((summary, index) => {
        const thread = threads[index];
        if (thread && matchesSearch(thread, terms)) found.push(summary);
      });
    }
    scanned += page.threads.length;
    cursor = page.nextCursor;
  } while (cursor !== undefined && found.length < limit && scanned < searchScanLimit && rounds < 20);
  return { threads: found, ...(cursor === undefined ? {} : { nextCursor: cursor }) };
}
