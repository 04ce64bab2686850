/**
 * `POST /v1/threads/:id/fork`, `GET /v1/threads/:id/context` and `GET /v1/threads/:id/timing`: a
 * new thread from a prefix of one, the exact model input its next step would send, and its
 * timings. None changes the thread itself.
 */
import { timingRows } from "agentfold/runtime";
import { contextRoute, forkRoute, timingRoute } from "../api-routes.ts";
import type { ApiApp, RouteContext } from "./route-context.ts";
import { launchAndSettle } from "./settle.ts";
import { agentOf, loadThreadFor } from "./thread-access.ts";
import { respondWithThread } from "./thread-view.ts";

export function registerForkAndContextRoutes(app: ApiApp, context: RouteContext): void {
  app.openapi(forkRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { atEvent } = c.req.valid("json");
    // The fork keeps the source's metadata, its tenant included.
    const source = await loadThreadFor(context, c, id);
    // Core checks `atEvent` against the thread (InvalidInputError: 400) and re-opens approvals that had
    // not taken effect before the cut: a fork never runs a call on the original's approval.
    const forked = source.fork(atEvent, { metadata: { forkedBy: c.get("actor") } });
    // A fork has no parent (even of a child agent's thread): it runs as its agent, by name.
    await agentOf(context, forked);
    const result = await launchAndSettle(context, forked, c.req.valid("query").wait ?? 30);
    c.header("Location", `/v1/threads/${result.id}`);
    return respondWithThread(context, c, result);
  });

  app.openapi(contextRoute, async (c) => {
    const thread = await loadThreadFor(context, c, c.req.valid("param").id);
    const agent = await agentOf(context, thread);
    // The output mode follows core's rule (the agent's, else the model's preference); render reports it.
    const { messages, context: rendered, tokens, mode } = agent.render(thread, { model: context.model });
    return c.json({ messages, context: rendered, tokens, mode }, 200);
  });

  app.openapi(timingRoute, async (c) => {
    const thread = await loadThreadFor(context, c, c.req.valid("param").id);
    return c.json({ id: thread.id, status: thread.status, timing: timingRows(thread.events) }, 200);
  });
}
