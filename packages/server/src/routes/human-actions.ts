/**
 * A person's actions on a thread: approve or reject a call, answer a question, send a message,
 * wake a waiting thread early, cancel. Each but cancel is a `HumanAction` applied through the runner's change (core's
 * `applyHumanAction`), after the caller's right to act is checked here, at the edge.
 */
import { InvalidInputError, type Thread } from "agentfold";
import { applyHumanAction, type HumanAction } from "agentfold/runtime";
import { approvalRoute, cancelRoute, messageRoute, responseRoute, wakeRoute } from "../api-routes.ts";
import { checkDecisionAllowed } from "../authorization.ts";
import type { ThreadChange } from "../runner.ts";
import { keyedChange, type KeyedChange } from "./keyed-change.ts";
import type { ApiApp, RouteContext } from "./route-context.ts";
import { changeAndSettle } from "./settle.ts";
import { agentOf, loadThread, loadThreadFor } from "./thread-access.ts";
import { respondWithThread, viewOf } from "./thread-view.ts";

/** The action as a change; a retry of one already recorded leaves the thread as it is (no 409 "already decided"). */
const applyOnce =
  (keyed: KeyedChange, action: HumanAction): ThreadChange =>
  (current, agent) =>
    keyed.replayed(current) ? current : applyHumanAction(agent, current, action);

/** How far down a family `sleepingDescendant` looks (children of children…). */
const FAMILY_DEPTH = 8;

/**
 * The thread a wake is for: the thread itself when it has timers, else the child agent it waits on
 * while that child sleeps (followed down the family); the thread itself when nothing sleeps below,
 * so the wake answers its usual 409.
 */
async function sleepingDescendant(context: RouteContext, thread: Thread): Promise<string> {
  let current = thread;
  for (let depth = 0; depth < FAMILY_DEPTH; depth++) {
    if (current.state.timers.length > 0) return current.id;
    const child = current.pending.find((item) => item.kind === "child" && item.childStatus === "waiting");
    if (child?.kind !== "child") return thread.id;
    const next = await context.store.load(child.childThreadId);
    if (!next) return thread.id;
    current = next;
  }
  return thread.id;
}

export function registerHumanActionRoutes(app: ApiApp, context: RouteContext): void {
  app.openapi(approvalRoute, async (c) => {
    const { id, callId } = c.req.valid("param");
    const body = c.req.valid("json");
    const actor = c.get("actor");
    if (!body.approved && body.args !== undefined) {
      throw new InvalidInputError('"args" edits the arguments of an approval; leave it out when rejecting ("approved": false).');
    }
    await checkDecisionAllowed(
      context.runner,
      c.get("caller"),
      await loadThreadFor(context, c, id),
      callId,
      body.approved ? "approve" : "reject",
    );
    const keyed = keyedChange(c, "approval", { id, callId }, body);
    const action: HumanAction = body.approved
      ? { type: "approve", callId, actor, comment: body.comment, args: body.args, argsHash: body.argsHash, ...keyed.fields }
      : { type: "reject", callId, actor, comment: body.comment, ...keyed.fields };
    const thread = await changeAndSettle(context, id, c.req.valid("query").wait ?? 30, applyOnce(keyed, action));
    return respondWithThread(context, c, thread);
  });

  app.openapi(responseRoute, async (c) => {
    const { id, callId } = c.req.valid("param");
    const { text } = c.req.valid("json");
    await checkDecisionAllowed(context.runner, c.get("caller"), await loadThreadFor(context, c, id), callId, "answer");
    const keyed = keyedChange(c, "response", { id, callId }, { text });
    const action: HumanAction = { type: "respond", callId, actor: c.get("actor"), text, ...keyed.fields };
    const thread = await changeAndSettle(context, id, c.req.valid("query").wait ?? 30, applyOnce(keyed, action));
    return respondWithThread(context, c, thread);
  });

  app.openapi(messageRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { text } = c.req.valid("json");
    await loadThreadFor(context, c, id);
    const keyed = keyedChange(c, "message", { id }, { text });
    const action: HumanAction = { type: "message", text, actor: c.get("actor"), source: "http", ...keyed.fields };
    const thread = await changeAndSettle(context, id, c.req.valid("query").wait ?? 30, applyOnce(keyed, action));
    return respondWithThread(context, c, thread);
  });

  app.openapi(wakeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const thread = await loadThreadFor(context, c, id);
    const action: HumanAction = { type: "wake", actor: c.get("actor") };
    // A parent that waits only because its child agent sleeps: the child is the one woken, and the
    // parent goes on by itself once the child answers.
    const target = await sleepingDescendant(context, thread);
    const woken = await changeAndSettle(context, target, c.req.valid("query").wait ?? 30, (current, agent) =>
      applyHumanAction(agent, current, action),
    );
    return respondWithThread(context, c, target === id ? woken : await loadThread(context.store, id));
  });

  app.openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { reason } = c.req.valid("json");
    await agentOf(context, await loadThreadFor(context, c, id));
    const thread = await context.runner.cancel(id, { actor: c.get("actor"), ...(reason === undefined ? {} : { reason }) });
    return c.json(await viewOf(context, c.get("caller"), thread), 200);
  });
}
