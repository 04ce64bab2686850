import { z } from "zod";
import { defineAgent, defineTool, doneForNow, nextStepSchema, type Model, type Thread } from "agentfold";

/** No `run`: choosing this intent runs nothing. Your code decides what it means. */
export const sendEmail = defineTool({
  intent: "send_email",
  description: "send an email to a customer",
  args: z.object({ to: z.string(), subject: z.string(), body: z.string() }),
});

export const mailer = defineAgent({ name: "mailer", tools: [sendEmail, doneForNow()], mode: "json" });

/** The next step is a union over intents: `anyOf` of `{ intent: const, ...arguments }`. */
export const schema = nextStepSchema(mailer.tools);

/** Takes one step, then carries out the chosen emails itself and reports each result back. */
export async function stepAndSend(thread: Thread, model: Model, outbox: { to: string; subject: string }[]) {
  let next = await mailer.step(thread, { model });
  for (const call of next.state.openCalls) {
    if (call.intent !== sendEmail.intent) continue;
    const { to, subject } = sendEmail.args.parse(call.args);
    outbox.push({ to, subject });
    next = mailer.respond(next, call.callId, `Queued for ${to}.`, { actor: "mailer-queue" });
  }
  return next;
}
