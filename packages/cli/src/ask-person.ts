/**
 * Interactive decisions in a terminal: approve, reject with a comment, edit the arguments as JSON
 * (validated against the tool's schema, asked again until valid), or answer a question.
 */
import type { Agent, PendingApproval, PendingQuestion, Thread } from "agentfold";
import { applyHumanAction, type HumanAction } from "agentfold/runtime";

type Prompts = typeof import("@clack/prompts");

/** The person's decision as a human action, or `undefined` when they stopped (Ctrl-C). */
export type Decision = HumanAction | undefined;

/**
 * Asks the person about one pending call and returns what they decided, for the caller to apply
 * with `applyHumanAction` and store.
 *
 * @example
 * const action = await askPerson(agent, thread, thread.pending[0], "cli:alice");
 * if (action) await storeAppend({ out, store, lease }, applyHumanAction(agent, thread, action), thread);
 */
export async function askPerson(agent: Agent, thread: Thread, item: PendingApproval | PendingQuestion, actor: string): Promise<Decision> {
  // Loaded only in a terminal, when a person is asked: scripts and --json runs never need it.
  const prompts = await import("@clack/prompts");
  return item.kind === "approval" ? askApproval(prompts, agent, thread, item, actor) : askQuestion(prompts, agent, thread, item, actor);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function askApproval(prompts: Prompts, agent: Agent, thread: Thread, item: PendingApproval, actor: string): Promise<Decision> {
  const choice = await prompts.select({
    message: `${agent.name} wants to run ${item.intent} ${JSON.stringify(item.args)}  [${item.callId}]`,
    options: [
      { value: "approve", label: "Approve" },
      { value: "edit", label: "Edit the arguments (JSON), then approve" },
      { value: "reject", label: "Reject with a comment" },
    ],
  });
  if (prompts.isCancel(choice)) return undefined;
  if (choice === "approve") return { type: "approve", callId: item.callId, actor, argsHash: item.argsHash };
  if (choice === "reject") {
    const comment = await prompts.text({
      message: "Why? (the agent reads this)",
      placeholder: "e.g. use 4 as the divisor",
    });
    if (prompts.isCancel(comment)) return undefined;
    return { type: "reject", callId: item.callId, actor, ...(comment.trim() ? { comment: comment.trim() } : {}) };
  }
  let approved: HumanAction | undefined;
  const edited = await prompts.text({
    message: `Arguments for ${item.intent} as a JSON object`,
    initialValue: JSON.stringify(item.args),
    validate(value) {
      let args: unknown;
      try {
        args = JSON.parse(value ?? "");
      } catch (error) {
        return `Not JSON: ${errorMessage(error)}`;
      }
      if (args === null || typeof args !== "object" || Array.isArray(args)) return 'Give a JSON object, e.g. {"a": 3}.';
      const action: HumanAction = {
        type: "approve",
        callId: item.callId,
        actor,
        argsHash: item.argsHash,
        args: args as Record<string, unknown>,
      };
      try {
        // Applied here only to check the arguments against the tool, so a mistake is asked again.
        applyHumanAction(agent, thread, action);
        approved = action;
      } catch (error) {
        return errorMessage(error);
      }
      return undefined;
    },
  });
  if (prompts.isCancel(edited)) return undefined;
  return approved;
}

async function askQuestion(prompts: Prompts, agent: Agent, _thread: Thread, item: PendingQuestion, actor: string): Promise<Decision> {
  if (item.context) prompts.log.info(item.context);
  const message = `${agent.name} asks: ${item.question}  [${item.callId}]`;
  let answer: string | symbol;
  if (item.format === "yes_no") {
    answer = await prompts.select({
      message,
      options: [
        { value: "yes", label: "yes" },
        { value: "no", label: "no" },
      ],
    });
  } else if (item.format === "multiple_choice" && item.choices && item.choices.length > 0) {
    answer = await prompts.select({ message, options: item.choices.map((choice) => ({ value: choice, label: choice })) });
  } else {
    answer = await prompts.text({
      message,
      validate: (value) => (value && value.trim() !== "" ? undefined : "Type an answer (Ctrl-C to stop and answer later)."),
    });
  }
  if (typeof answer !== "string") return undefined;
  return { type: "respond", callId: item.callId, actor, text: answer };
}
