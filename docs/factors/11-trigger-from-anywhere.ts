import type { Agent, Model, Thread } from "agentfold";

/** Where a thread came from and where its answers go; kept in the thread's metadata. */
export interface Channel {
  name: "slack" | "email" | "cron" | "webhook";
  replyTo: string;
}

/** Any trigger starts a thread the same way; `source` and `metadata` remember the channel. */
export function startFrom(agent: Agent, channel: Channel, text: string, from?: string): Thread {
  return agent.start(
    { text, source: channel.name, ...(from === undefined ? {} : { actor: from }) },
    { metadata: { channel: channel.name, replyTo: channel.replyTo } },
  );
}

/** Runs the thread, then answers on the channel it came from: the final message or the open question. */
export async function runAndReply(agent: Agent, thread: Thread, model: Model, send: (replyTo: string, text: string) => Promise<void>) {
  const next = await agent.run(thread, { model });
  const replyTo = String(next.metadata.replyTo);
  const last = next.lastEvent;
  if (last?.type === "done") await send(replyTo, last.message);
  for (const item of next.pending) {
    if (item.kind === "question") await send(replyTo, item.question);
    if (item.kind === "approval") await send(replyTo, `Approve ${item.intent} ${JSON.stringify(item.args)}?`);
  }
  return next;
}
