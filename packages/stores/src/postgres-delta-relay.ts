/**
 * A delta relay over Postgres LISTEN/NOTIFY: pieces of a model reply streamed by one server process
 * reach the thread's streams on every process on the same database, so a load balancer needs no
 * sticky sessions. See docs/decisions/2026-12-01-cross-process-deltas.md for the choices.
 *
 * - One channel per thread (`agentfold_delta_<hash of the id>`), LISTENed by a process only while it
 *   has a subscriber for that thread: Postgres delivers a notification only to sessions listening on
 *   its channel, so a process hears only the threads it streams.
 * - Publishing delivers to this process's subscribers at once, then queues the piece; the queue is
 *   sent in one `pg_notify` statement at most every `batchMs` (the first piece after a quiet spell
 *   goes at once). A payload stays under `maxPayloadBytes` (Postgres refuses 8000 bytes and more):
 *   pieces are packed several to a payload and a long one is split into pieces that concatenate back.
 * - Every payload names its publisher and a sequence number that grows with each payload: a process
 *   ignores its own (its subscribers already have them) and any payload not newer than the last one
 *   it took from that publisher for that thread. Statements go one at a time, so one publisher's
 *   payloads for a thread arrive in order.
 * - NOTIFY runs on a small pool of its own, outside any thread transaction: a piece never waits for
 *   a step's writes, nor they for it. LISTEN holds one connection of its own, reconnected with a
 *   growing delay after an outage; pieces published meanwhile are lost (the stored events that
 *   follow are not: streams poll the store). Nothing here throws into the server.
 */
import { createHash, randomUUID } from "node:crypto";
import type { ModelDelta } from "agentfold";
import { createDeltaListeners, type DeltaRelay } from "agentfold/runtime";
import { loadPg } from "./load-pg.ts";
import { createOwnedPool, type PostgresPool } from "./postgres-pool.ts";

export interface PostgresDeltaRelayOptions {
  connectionString: string;
  /** Names this process in payloads, so it skips its own. Default: a random id. */
  processId?: string;
  /** Longest wait before queued pieces are sent. Default 25 ms. */
  batchMs?: number;
  /** Largest payload in bytes. Default 7,900 (Postgres refuses 8,000 and more). */
  maxPayloadBytes?: number;
  /** How long `listening()` waits for a LISTEN while the database is away. Default 2 s. */
  listenWaitMs?: number;
  /** Listeners that threw, and the relay's own trouble (an outage, once per outage). Default: stderr. */
  onError?: (error: unknown, threadId: string) => void;
}

/** A piece on its way: the delta and the thread version the model saw. */
export interface RelayedPiece {
  delta: ModelDelta;
  after: number;
}

/** What one NOTIFY carries: publisher, thread, sequence, and pieces as `[after, delta]`. */
interface Payload {
  p: string;
  t: string;
  s: number;
  d: Array<[number, ModelDelta]>;
}

/** The channel of a thread's pieces: a hash, since thread ids are opaque and channel names are identifiers of at most 63 bytes. */
export function deltaChannel(threadId: string): string {
  return `agentfold_delta_${createHash("sha256").update(threadId).digest("hex").slice(0, 32)}`;
}

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/** The text a piece carries, which can be split: a text piece's text, a tool call piece's arguments. */
function splitField(delta: ModelDelta): "text" | "argsText" {
  return delta.type === "text" ? "text" : "argsText";
}

/**
 * Splits a piece in two halves of its text (by code points, so no character is cut), or returns it
 * whole when there is nothing to split. The halves concatenate to the piece's text; a tool call's
 * later halves keep its index and name, as every argument piece does.
 */
function halves(delta: ModelDelta): ModelDelta[] {
  const field = splitField(delta);
  const characters = Array.from((delta as Record<string, unknown>)[field] as string);
  if (characters.length < 2) return [delta];
  const middle = Math.ceil(characters.length / 2);
  return [
    { ...delta, [field]: characters.slice(0, middle).join("") } as ModelDelta,
    { ...delta, [field]: characters.slice(middle).join("") } as ModelDelta,
  ];
}

/**
 * The payloads that carry `pieces` of one thread, in order, each at most `maxBytes` long: pieces
 * packed as many to a payload as fit, a piece too long for one payload split into several that
 * concatenate back to it. A piece that cannot fit even alone (nothing left to split) is dropped.
 * `nextSequence` numbers each payload.
 *
 * @example
 * const payloads = packDeltas({ processId: "a", threadId: "t1", maxBytes: 7900, nextSequence: () => ++n,
 *   pieces: [{ delta: { type: "text", attempt: 1, text: "Hel" }, after: 3 }] });
 * // ['{"p":"a","t":"t1","s":1,"d":[[3,{"type":"text","attempt":1,"text":"Hel"}]]}']
 */
export function packDeltas(options: {
  processId: string;
  threadId: string;
  pieces: readonly RelayedPiece[];
  maxBytes: number;
  nextSequence: () => number;
}): string[] {
  const { processId, threadId, maxBytes } = options;
  // The envelope with the largest sequence a payload can have (a safe integer's 16 digits).
  const envelope = bytes(JSON.stringify({ p: processId, t: threadId, s: Number.MAX_SAFE_INTEGER, d: [] }));
  const room = maxBytes - envelope;
  const encoded: Array<{ json: string; size: number }> = [];
  const add = (delta: ModelDelta, after: number) => {
    const json = JSON.stringify([after, delta]);
    const size = bytes(json);
    if (size <= room) return void encoded.push({ json, size });
    const split = halves(delta);
    if (split.length === 1) return; // Nothing to split and too long for a payload: dropped.
    for (const half of split) add(half, after);
  };
  for (const { delta, after } of options.pieces) add(delta, after);
  const payloads: string[] = [];
  let batch: string[] = [];
  let used = 0;
  const emit = () => {
    if (batch.length === 0) return;
    const head = JSON.stringify({ p: processId, t: threadId, s: options.nextSequence() });
    payloads.push(`${head.slice(0, -1)},"d":[${batch.join(",")}]}`);
    batch = [];
    used = 0;
  };
  for (const { json, size } of encoded) {
    // A comma between pieces.
    const cost = size + (batch.length > 0 ? 1 : 0);
    if (used + cost > room) emit();
    used += size + (batch.length > 0 ? 1 : 0);
    batch.push(json);
  }
  emit();
  return payloads;
}

/** The payload's fields when it is one of ours in shape, else `undefined` (a stranger's NOTIFY on the channel). */
function parsePayload(text: string | undefined): Payload | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<Payload>;
    if (typeof value.p !== "string" || typeof value.t !== "string" || typeof value.s !== "number" || !Array.isArray(value.d))
      return undefined;
    return value as Payload;
  } catch {
    return undefined;
  }
}

/** The part of a `pg.Client` the relay uses. */
interface ListenClient {
  connect(): Promise<void>;
  query(text: string, values?: unknown[]): Promise<unknown>;
  end(): Promise<void>;
  on(event: "notification", listener: (message: { channel: string; payload?: string }) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  on(event: "end", listener: () => void): void;
}

/**
 * A delta relay for several server processes on one Postgres. `startServer` makes one for a
 * `postgres://` store (and closes it); pass one to `createRunner({ deltaRelay })` or
 * `startServer({ deltaRelay })` yourself when you make the store.
 *
 * @example
 * const relay = await createPostgresDeltaRelay({ connectionString: "postgres://postgres@127.0.0.1:5432/agents" });
 * const server = await startServer({ store, deltaRelay: relay, agents, model });
 * // ... server.close(), then:
 * await relay.close();
 */
export async function createPostgresDeltaRelay(options: PostgresDeltaRelayOptions): Promise<DeltaRelay> {
  const pg = await loadPg();
  const processId = options.processId ?? randomUUID();
  const batchMs = options.batchMs ?? 25;
  const maxBytes = options.maxPayloadBytes ?? 7_900;
  const listenWaitMs = options.listenWaitMs ?? 2_000;
  const onError = options.onError ?? ((error: unknown) => console.error(`agentfold delta relay: ${(error as Error)?.message ?? error}`));
  const listeners = createDeltaListeners(onError);
  // Publishing: a pool of its own, so a piece never waits behind a step's statements (nor they behind it).
  const pool: PostgresPool = await createOwnedPool({
    connectionString: options.connectionString,
    max: 2,
    onConnectionError: () => {},
  });

  let closed = false;
  let sequence = 0;
  /** Pieces waiting to be sent, by thread, in publish order. */
  let queued = new Map<string, RelayedPiece[]>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sending: Promise<void> | undefined;
  let lastSendAt = Number.NEGATIVE_INFINITY;
  let publishFailing = false;

  async function send(): Promise<void> {
    const batch = queued;
    queued = new Map();
    lastSendAt = performance.now();
    const channels: string[] = [];
    const payloads: string[] = [];
    for (const [threadId, pieces] of batch) {
      for (const payload of packDeltas({ processId, threadId, pieces, maxBytes, nextSequence: () => ++sequence })) {
        channels.push(deltaChannel(threadId));
        payloads.push(payload);
      }
    }
    if (payloads.length === 0) return;
    try {
      // One statement for the whole batch; notifications of one statement go out in call order.
      await pool.query("SELECT pg_notify(channel, payload) FROM unnest($1::text[], $2::text[]) AS batch(channel, payload)", [
        channels,
        payloads,
      ]);
      if (publishFailing) publishFailing = false;
    } catch (error) {
      // Pieces are best effort: dropped, reported once per failing spell.
      if (!publishFailing && !closed)
        onError(new Error(`could not send model pieces to other processes: ${(error as Error).message}`), [...batch.keys()][0] ?? "");
      publishFailing = true;
    }
  }

  /** Sends what is queued now, or once `batchMs` has passed since the last send; one statement at a time. */
  function schedule(): void {
    if (timer || sending || closed) return;
    const wait = Math.max(0, lastSendAt + batchMs - performance.now());
    const go = () => {
      timer = undefined;
      sending = send().finally(() => {
        sending = undefined;
        if (queued.size > 0) schedule();
      });
    };
    // Even after a quiet spell, pieces published in the same turn of the event loop go together.
    timer = setTimeout(go, wait);
  }

  // Listening: one connection of its own, LISTENing on the channels of the threads with subscribers here.
  let client: ListenClient | undefined;
  let connecting: ListenClient | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let retryDelayMs = 250;
  let outageReported = false;
  /** Per subscribed thread: resolved once its LISTEN is in effect on the current connection. */
  const ready = new Map<string, PromiseWithResolvers<void>>();
  /** The last sequence taken, by thread, then publisher. */
  const lastTaken = new Map<string, Map<string, number>>();
  const threadsByChannel = new Map<string, string>();

  function receive(channel: string, text: string | undefined): void {
    const payload = parsePayload(text);
    if (!payload || payload.p === processId) return;
    const threadId = threadsByChannel.get(channel);
    if (threadId !== payload.t || !listeners.has(threadId)) return;
    let taken = lastTaken.get(threadId);
    if (!taken) lastTaken.set(threadId, (taken = new Map()));
    if (payload.s <= (taken.get(payload.p) ?? 0)) return;
    taken.set(payload.p, payload.s);
    for (const piece of payload.d) {
      if (Array.isArray(piece) && typeof piece[0] === "number" && piece[1] && typeof piece[1] === "object")
        listeners.deliver(threadId, piece[1], piece[0]);
    }
  }

  function listen(on: ListenClient, threadId: string): void {
    const channel = deltaChannel(threadId);
    on.query(`LISTEN "${channel}"`).then(
      () => {
        if (on === client && listeners.has(threadId)) ready.get(threadId)?.resolve();
      },
      // A failed LISTEN is a lost connection: its "error" or "end" brings a new one that listens again.
      () => {},
    );
  }

  function lost(which: ListenClient, error?: Error): void {
    if (which !== client && which !== connecting) return;
    if (which === client) client = undefined;
    if (which === connecting) connecting = undefined;
    void which.end().catch(() => {});
    // Waiters now wait for the next connection's LISTEN.
    for (const threadId of ready.keys()) ready.set(threadId, Promise.withResolvers());
    if (closed) return;
    if (!outageReported) {
      outageReported = true;
      onError(
        new Error(`lost the LISTEN connection (${error?.message ?? "closed"}); model pieces from other processes stop until it is back`),
        "",
      );
    }
    if (!retryTimer && ready.size > 0) {
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        connect();
      }, retryDelayMs);
      retryDelayMs = Math.min(retryDelayMs * 2, 5_000);
    }
  }

  function connect(): void {
    if (client || connecting || closed) return;
    const next = new pg.Client({
      connectionString: options.connectionString,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    }) as unknown as ListenClient;
    connecting = next;
    next.on("error", (error) => lost(next, error));
    next.on("end", () => lost(next));
    next.on("notification", (message) => receive(message.channel, message.payload));
    next.connect().then(
      () => {
        if (connecting !== next) return;
        connecting = undefined;
        if (closed) return void next.end().catch(() => {});
        client = next;
        retryDelayMs = 250;
        if (outageReported) {
          outageReported = false;
          onError(new Error("the LISTEN connection is back; model pieces from other processes flow again"), "");
        }
        for (const threadId of ready.keys()) listen(next, threadId);
      },
      (error: Error) => lost(next, error),
    );
  }

  return {
    publish(threadId, delta, after) {
      listeners.deliver(threadId, delta, after);
      if (closed) return;
      let pieces = queued.get(threadId);
      if (!pieces) queued.set(threadId, (pieces = []));
      pieces.push({ delta, after });
      schedule();
    },
    subscribe(threadId, listener) {
      return listeners.subscribe(threadId, listener, {
        onFirst: () => {
          threadsByChannel.set(deltaChannel(threadId), threadId);
          ready.set(threadId, Promise.withResolvers());
          if (client) listen(client, threadId);
          else connect();
        },
        onLast: () => {
          const channel = deltaChannel(threadId);
          threadsByChannel.delete(channel);
          ready.get(threadId)?.resolve();
          ready.delete(threadId);
          lastTaken.delete(threadId);
          client?.query(`UNLISTEN "${channel}"`).catch(() => {});
        },
      });
    },
    async listening(threadId) {
      const entry = ready.get(threadId);
      if (!entry) return;
      let waited: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([entry.promise, new Promise<void>((resolve) => (waited = setTimeout(resolve, listenWaitMs)))]);
      clearTimeout(waited);
    },
    async close() {
      if (closed) return;
      clearTimeout(timer);
      timer = undefined;
      // What is queued still goes: a step that ended just now has its last pieces in it.
      await sending;
      if (queued.size > 0) await send();
      closed = true;
      clearTimeout(timer);
      clearTimeout(retryTimer);
      for (const entry of ready.values()) entry.resolve();
      ready.clear();
      listeners.clear();
      const open = [client, connecting].filter((candidate): candidate is ListenClient => candidate !== undefined);
      client = connecting = undefined;
      await Promise.all(open.map((candidate) => candidate.end().catch(() => {})));
      await pool.end();
    },
  };
}
