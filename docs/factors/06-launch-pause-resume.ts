import { z } from "zod";
import { defineAgent, defineTool, doneForNow, type Model, type ThreadStore } from "agentfold";

const wire = defineTool({
  intent: "wire_funds",
  description: "send money to an account",
  args: z.object({ account: z.string(), amount: z.number().positive() }),
  approval: "required", // pause between choosing the call and running it
  run: ({ account, amount }) => ({ sent: amount, to: account }),
});

export const treasurer = defineAgent({ name: "treasurer", tools: [wire, doneForNow()] });

/** Launch: runs until the thread pauses or finishes, saving each new event as it goes. */
export async function launch(threads: ThreadStore, model: Model, text: string): Promise<string> {
  const thread = treasurer.start(text);
  await threads.create(thread);
  await treasurer.run(thread, { model, commit: (next, previous) => threads.append(next, { expectedVersion: previous.version }) });
  return thread.id;
}

/** Resume, in any process, any time later: load, record the approval, run on. */
export async function approveAndResume(threads: ThreadStore, model: Model, threadId: string, actor: string) {
  const paused = await threads.load(threadId);
  if (paused?.status !== "awaiting_approval") throw new Error(`Thread ${threadId} is not waiting for an approval.`);
  const approved = treasurer.approve(paused, paused.pending[0]!.callId, { actor });
  await threads.append(approved, { expectedVersion: paused.version });
  return treasurer.run(approved, { model, commit: (next, previous) => threads.append(next, { expectedVersion: previous.version }) });
}
