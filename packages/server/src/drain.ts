/**
 * Draining: a server that is shutting down stops taking new work while its runner finishes (or
 * releases) the steps it has running. While draining, `/readyz` answers 503 so a load balancer sends
 * nothing new; a request that still arrives and would start or change work (any `/v1` request but a
 * read) or open an event stream gets a 503 `draining` with `Retry-After: 1`, which a client or a
 * proxy retries on another replica; open event streams end, so their clients reconnect elsewhere
 * with `Last-Event-ID` and miss nothing.
 */
import type { MiddlewareHandler } from "hono";
import type { Env } from "./routes/route-context.ts";

export interface Drain {
  /** True once `start()` was called; never false again. */
  readonly draining: boolean;
  /** Aborted when draining starts: open event streams end on it. */
  readonly signal: AbortSignal;
  start(): void;
}

/**
 * @example
 * const drain = createDrain();
 * drain.start(); // readyz now 503, new work refused, open streams end
 */
export function createDrain(): Drain {
  const controller = new AbortController();
  return {
    get draining() {
      return controller.signal.aborted;
    },
    signal: controller.signal,
    start: () => controller.abort(new Error("The server is draining.")),
  };
}

const reads = new Set(["GET", "HEAD", "OPTIONS"]);

/** Refuses new work under `/v1` while draining: writes, and event streams (reads otherwise go on). */
export function refuseWhileDraining(drain: Drain): MiddlewareHandler<Env> {
  return async (c, next) => {
    const stream = c.req.path.endsWith("/stream");
    if (!drain.draining || (reads.has(c.req.method) && !stream)) return next();
    c.header("Retry-After", "1");
    // The client's next request should open a new connection, which the load balancer sends elsewhere.
    c.header("Connection", "close");
    return c.json(
      {
        error: { code: "draining", message: "This server is shutting down and takes no new work; retry, and another replica will answer." },
      },
      503,
    );
  };
}
