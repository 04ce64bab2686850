/**
 * `WorkQueue`: requests to advance a thread, now or at a time, that any of several processes may
 * take — the contract between a runner (`@agentfold/server`) and a shared queue
 * (`createPostgresWorkQueue` in `@agentfold/stores`). A request decides nothing: whoever takes it
 * advances the thread under its lease, which fires only what is due, so a request taken twice,
 * early, or after the thread moved on does no harm.
 */
export interface WorkQueue {
  /**
   * Asks for the thread to be advanced by one of the processes running this queue, at `at` (now
   * when absent). At most one request per thread waits: a new one replaces it, time included.
   */
  request(threadId: string, at?: Date): Promise<void>;
  /**
   * Starts running requests in this process, each with `advance`; one that rejects is tried again
   * later, with backoff. Resolves once this process listens for requests.
   */
  start(advance: (threadId: string) => Promise<void>): Promise<void>;
  /**
   * Stops taking requests in this process (a closing server first stops taking work, then hands
   * over what it still runs); requests can still be made. Those already taken go on.
   */
  stopTaking(): Promise<void>;
  /** Stops taking requests and waits for those running here; the rest stay queued for the other processes. */
  close(): Promise<void>;
}
