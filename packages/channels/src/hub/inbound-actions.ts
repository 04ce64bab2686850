/**
 * Inbound: an action a channel hands the hub (a click, a reply, a signed request) becomes a new
 * thread or a change applied through the runner, under the thread's lease (core's
 * `applyHumanAction`). The runner's work after it goes to the background, so the channel answers at
 * once. Refusals come back as outcomes with the error's code, never as throws.
 */
import { AgentfoldError } from "agentfold";
import { applyHumanAction, describeError } from "agentfold/runtime";
import type { ChannelStore } from "@agentfold/stores";
import type { ActionOutcome, InboundAction } from "../channel.ts";
import type { MountedServer } from "./hub-state.ts";

export interface InboundSettings {
  readonly store: ChannelStore;
  readonly server: () => MountedServer;
  readonly background: (task: () => Promise<unknown>) => void;
  readonly onError: (error: unknown, where: string) => void;
}

/** A thread started from a channel keeps its origin, so the channel can answer where it began. */
async function startThread(
  settings: InboundSettings,
  server: MountedServer,
  action: Extract<InboundAction, { type: "start" }>,
): Promise<ActionOutcome> {
  const { runner, store: threads, agents } = server;
  const agent = agents.get(action.agent);
  if (!agent)
    return { ok: false, code: "unknown_agent", message: `Unknown agent "${action.agent}". Agents here: ${[...agents.keys()].join(", ")}.` };
  const thread = agent.start(
    { text: action.text, actor: action.actor, source: action.source },
    action.metadata ? { metadata: action.metadata } : {},
  );
  await threads.create(thread);
  if (action.origin) await settings.store.saveOrigin(thread.id, action.origin);
  settings.background(() => runner.advance(thread.id));
  return { ok: true, thread };
}

/** Throws only when the hub is not mounted. */
export async function applyInboundAction(settings: InboundSettings, action: InboundAction): Promise<ActionOutcome> {
  const server = settings.server();
  try {
    if (action.type === "start") return await startThread(settings, server, action);
    const { applied, settled } = await server.runner.change(action.threadId, (current, agent) => applyHumanAction(agent, current, action));
    settings.background(() => settled);
    return { ok: true, thread: applied };
  } catch (error) {
    const code = error instanceof AgentfoldError ? error.code : "internal";
    if (code === "internal") settings.onError(error, `apply ${action.type}`);
    return { ok: false, code, message: describeError(error) };
  }
}
