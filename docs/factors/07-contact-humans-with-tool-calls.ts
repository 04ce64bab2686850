import { askHuman, defineAgent, doneForNow, type Thread } from "agentfold";

/** Asking a person is a tool call like any other: a question, its urgency and the answer's format. */
export const nightlyCheck = defineAgent({
  name: "nightly_check",
  instructions: "Check last night's failed payments. Ask the finance team before retrying any.",
  tools: [
    askHuman({ intent: "ask_finance", description: "ask the finance team for a decision" }),
    doneForNow({ intent: "report", description: "post the final report" }),
  ],
});

/** Started by a schedule, not a person: an outer-loop agent. */
export function fromCron(): Thread {
  return nightlyCheck.start({ text: "Nightly check for 2026-03-01", source: "cron" });
}

/** Whatever channel the question went out on, the answer becomes an event and the agent goes on. */
export function answer(thread: Thread, text: string, actor: string): Thread {
  const question = thread.pending.find((item) => item.kind === "question");
  if (!question) throw new Error(`Thread ${thread.id} is not waiting for an answer.`);
  return nightlyCheck.respond(thread, question.callId, text, { actor });
}
