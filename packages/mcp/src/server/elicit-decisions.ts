/**
 * Asking the MCP client's user a thread's pending approvals and questions through elicitation, when
 * the client supports it: an accepted answer becomes the same `HumanAction` as `approve_call` or
 * `answer_question`, and the thread runs on; a declined or canceled one leaves the thread waiting,
 * to be decided later with those tools.
 *
 * Invariant: each pending item is asked at most once per tool call, so a client that keeps
 * declining never loops; only approvals and questions are asked (a waiting child is decided on its
 * own thread).
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { ElicitRequestFormParams } from "@modelcontextprotocol/sdk/types.js";
import type { PendingItem, Thread } from "agentfold";
import type { HumanAction } from "agentfold/runtime";

type Ask = Pick<Server, "elicitInput" | "getClientCapabilities">;

function questionFor(item: PendingItem): ElicitRequestFormParams | undefined {
  if (item.kind === "approval") {
    return {
      message: `Approve ${item.intent} ${JSON.stringify(item.args)}?`,
      requestedSchema: {
        type: "object",
        properties: {
          approve: { type: "boolean", title: `Run ${item.intent} with these arguments` },
          comment: { type: "string", title: "Comment (the agent reads it when you reject)" },
        },
        required: ["approve"],
      },
    };
  }
  if (item.kind === "question") {
    const answer = item.choices?.length ? { type: "string" as const, enum: [...item.choices] } : { type: "string" as const };
    return {
      message: item.context ? `${item.question}\n\n${item.context}` : item.question,
      requestedSchema: { type: "object", properties: { answer: { ...answer, title: "Answer" } }, required: ["answer"] },
    };
  }
  return undefined;
}

function actionFor(item: PendingItem, content: Record<string, unknown>, actor: string): HumanAction | undefined {
  if (item.kind === "approval") {
    const comment = typeof content.comment === "string" && content.comment.trim() ? content.comment : undefined;
    if (content.approve === true) return { type: "approve", callId: item.callId, actor, ...(comment ? { comment } : {}) };
    return { type: "reject", callId: item.callId, actor, comment: comment ?? "Rejected through the MCP client." };
  }
  if (item.kind === "question" && typeof content.answer === "string")
    return { type: "respond", callId: item.callId, actor, text: content.answer };
  return undefined;
}

/**
 * Asks while the thread waits for something not asked yet; returns the thread as it settled.
 *
 * @example
 * thread = await elicitDecisions(server.server, thread, "mcp:dana", (action) => driver.decide(thread.id, action, request));
 */
export async function elicitDecisions(
  ask: Ask,
  thread: Thread,
  actor: string,
  decide: (action: HumanAction) => Promise<Thread>,
): Promise<Thread> {
  if (!ask.getClientCapabilities()?.elicitation) return thread;
  const asked = new Set<string>();
  let current = thread;
  for (;;) {
    const item = current.pending.find((pending) => !asked.has(pending.callId) && questionFor(pending) !== undefined);
    if (!item) return current;
    asked.add(item.callId);
    const reply = await ask.elicitInput(questionFor(item)!);
    const action = reply.action === "accept" && reply.content ? actionFor(item, reply.content, actor) : undefined;
    if (action) current = await decide(action);
  }
}
