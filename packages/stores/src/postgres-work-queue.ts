/**
 * The work queue of several server processes on one Postgres (core's `WorkQueue`), on pg-boss (see
 * docs/decisions/2026-12-01-postgres-queue.md): a request to advance a thread is a job on a
 * `stately` queue keyed by the thread's id (`singletonKey`), so at most one waits per thread, and a
 * new request moves its time (`upsert`); every process taking requests is woken by LISTEN/NOTIFY
 * on a channel of this schema's own; a request due later waits as a job with `startAfter`, across
 * restarts; a handler that throws is tried again with exponential backoff; a job whose process died
 * is retried once its heartbeat lapses.
 *
 * Invariants: the queue never decides anything about a thread (whoever takes a job advances it
 * under the thread's lease, and the runner's lease sweep recovers a crashed process's threads
 * within seconds whatever the queue does); `close()` stops taking jobs and waits for those running
 * here; pg-boss is an optional peer dependency, imported when the first queue is made.
 */
import { ConfigurationError } from "agentfold";
import { describeError, importOptional, type WorkQueue } from "agentfold/runtime";

export interface PostgresWorkQueueOptions {
  /** e.g. `postgres://user@host:5432/db`. The queue keeps a small pool of its own. */
  connectionString: string;
  /** The schema pg-boss keeps its jobs in, created if missing. Default `"agentfold_queue"`. */
  schema?: string;
  /** Pollers in this process, each running up to two requests at once. Default 8. */
  concurrency?: number;
  /** How many times a failing request is tried before it is dropped (the sweep still recovers its thread). Default 10. */
  maxAttempts?: number;
  /** Errors of the queue itself (a lost connection, a failed job). Default: one line on stderr. */
  onError?: (error: unknown) => void;
}

/** The queue every request is a job on. */
const QUEUE = "agentfold-advance-thread";

/** Jobs fetched at once by a poller: more than one, or pg-boss waits out its polling interval after every job. */
const BATCH = 2;

/** How long a job may run without its process's heartbeat before another process retries it. */
const HEARTBEAT_SECONDS = 10;

/** How often the queue's errors are told while they keep coming (pg-boss polls every 0.5 s, and fails each poll during an outage). */
const ERROR_EVERY_MS = 30_000;

/** `report`, at most once every ERROR_EVERY_MS, saying how many were left out meanwhile. */
function throttled(report: (error: unknown) => void): (error: unknown) => void {
  let last = 0;
  let left = 0;
  return (error) => {
    const now = Date.now();
    if (now - last < ERROR_EVERY_MS) {
      left += 1;
      return;
    }
    last = now;
    report(left === 0 ? error : new Error(`${describeError(error)} (and ${left} more errors in the last ${ERROR_EVERY_MS / 1000} s)`));
    left = 0;
  };
}

async function loadPgBoss() {
  const { PgBoss } = await importOptional(
    "pg-boss",
    "Several server processes on Postgres share their work through pg-boss: npm i pg-boss",
    () => import("pg-boss"),
  );
  return PgBoss;
}

/**
 * @example
 * const queue = await createPostgresWorkQueue({ connectionString: "postgres://postgres@127.0.0.1:5432/agents" });
 * const runner = createRunner({ store, agents, model, workQueue: queue });
 * await runner.start(); // takes requests; runner.close() closes the queue
 */
export async function createPostgresWorkQueue(options: PostgresWorkQueueOptions): Promise<WorkQueue> {
  const schema = options.schema ?? "agentfold_queue";
  if (!/^[a-z_][a-z0-9_]{0,49}$/.test(schema)) {
    throw new ConfigurationError(
      `The work queue's schema must be a plain lower-case SQL name of at most 50 characters, got ${JSON.stringify(schema)}.`,
    );
  }
  const maxAttempts = options.maxAttempts ?? 10;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new ConfigurationError(`maxAttempts must be a whole number, 1 or more; got ${maxAttempts}.`);
  const onError = throttled(options.onError ?? ((error: unknown) => console.error(`agentfold work queue: ${describeError(error)}`)));
  const PgBoss = await loadPgBoss();
  const concurrency = options.concurrency ?? 8;
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema,
    // Woken at once by NOTIFY; polling (every 0.5 s, pg-boss's minimum) finds requests that fall due.
    useListenNotify: true,
    max: concurrency + 2,
  });
  boss.on("error", onError);
  await boss.start();
  // Made once; later calls (other processes, restarts) find it.
  if (!(await boss.getQueue(QUEUE))) {
    await boss
      .createQueue(QUEUE, {
        policy: "stately",
        notify: true,
        heartbeatSeconds: HEARTBEAT_SECONDS,
        retryLimit: maxAttempts - 1,
        retryBackoff: true,
        retryDelay: 1,
        retryDelayMax: 60,
      })
      .catch(async (error: unknown) => {
        // Another process made it between the check and the create.
        if (!(await boss.getQueue(QUEUE))) throw error;
      });
  }
  let started = false;
  let closed = false;

  return {
    async request(threadId, at) {
      if (closed) return;
      await boss.upsert(QUEUE, { threadId }, { singletonKey: threadId, startAfter: at ?? new Date() });
    },
    async start(advance) {
      if (started || closed) return;
      started = true;
      // Batches of BATCH, fetched again at once while they come back full: one job a fetch would wait
      // out the polling interval after each (pg-boss ignores its burst setting for batches of 1), so a
      // crowd of timers falling due together would be taken two a second per poller.
      const options = {
        pollingIntervalSeconds: 0.5,
        notifyPollingIntervalSeconds: 0.5,
        batchSize: BATCH,
        burstWhenBatchFull: true,
        // A batch is done when its slowest advance is (a run can take minutes of model calls): one
        // poller per request in flight keeps a long run from holding up the others.
        localConcurrency: concurrency,
      };
      await boss.work<{ threadId?: unknown }>(QUEUE, options, async (jobs) => {
        await Promise.all(
          jobs.map(async (job) => {
            try {
              const threadId = job.data?.threadId;
              // A job that is not ours (someone else's code on this queue) fails loudly rather than silently.
              if (typeof threadId !== "string") throw new Error(`A ${QUEUE} job needs { threadId }, got ${JSON.stringify(job.data)}.`);
              await advance(threadId);
            } catch (error) {
              // This job alone is tried again later; the batch's others complete.
              await boss.fail(QUEUE, job, { message: describeError(error) }).catch(onError);
            }
          }),
        );
      });
    },
    async stopTaking() {
      if (!started || closed) return;
      await boss.offWork(QUEUE, { wait: false });
    },
    async close() {
      if (closed) return;
      closed = true;
      // The runner aborted its work before closing the queue: what is still running here ends soon.
      await boss.stop({ graceful: true, timeout: 5_000 });
    },
  };
}
