/** `GET /v1/threads/:id/stream`: server-sent events as they are appended (thread-stream.ts), within the stream limits. */
import { streamSSE } from "hono/streaming";
import { streamRoute } from "../api-routes.ts";
import { streamThread } from "../thread-stream.ts";
import type { ApiApp, RouteContext } from "./route-context.ts";
import { loadThreadFor } from "./thread-access.ts";

export function registerStreamRoute(app: ApiApp, context: RouteContext): void {
  const { store, runner, streamLimits } = context;
  app.openapi(streamRoute, async (c) => {
    const { id } = c.req.valid("param");
    const lastEventId = c.req.valid("header")["last-event-id"];
    const after = lastEventId === undefined ? (c.req.valid("query").after ?? 0) : Number(lastEventId);
    await loadThreadFor(context, c, id);
    const release = streamLimits.acquire(c.get("actor"));
    try {
      return streamSSE(c, async (stream) => {
        // The slot is freed when the stream ends for any reason: the client went away (streamThread
        // returns on abort) or writing failed.
        try {
          await streamThread(stream, {
            store,
            runner,
            threadId: id,
            after,
            pollIntervalMs: Math.max(context.pollIntervalMs, 250),
            keepAliveMs: 15_000,
            end: context.streamsEnd,
          });
        } finally {
          release();
        }
      });
    } catch (error) {
      release();
      throw error;
    }
  });
}
