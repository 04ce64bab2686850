/**
 * Starting and deciding threads for an MCP client, through the runner like every other edge: a
 * launch is stored and advanced, a decision is a `HumanAction` applied under the thread's lease.
 * While the client waits, each append is sent as a progress notification when the client asked
 * for them (a `progressToken`), so a long run is visibly alive.
 */
import { InvalidInputError, Thread, type Agent, type ThreadStore } from "agentfold";
import { applyHumanAction, newId, tenantMetadata, THREAD_SCHEMA_VERSION, type HumanAction } from "agentfold/runtime";
import type { Runner } from "@agentfold/server";

/** What the MCP request gives the driver: its signal, and a way to report progress. */
export interface RequestContext {
  signal: AbortSignal;
  /** Sends one progress notification; resolves once it is written (never rejects). */
  progress?: ((progress: number, message: string) => Promise<void>) | undefined;
}

export interface ThreadDriverOptions {
  runner: Runner;
  store: ThreadStore;
  agents: ReadonlyMap<string, Agent>;
}

/**
 * Waits until the runner settles the thread, reporting each append as progress. The run may have
 * moved on before the subscription (it starts as the change is stored), so the settled state is
 * reported last unless it was already; every notification is sent before the tool's result.
 */
async function settleWithProgress(
  options: ThreadDriverOptions,
  threadId: string,
  settled: Promise<unknown>,
  request: RequestContext,
): Promise<Thread> {
  const sent: Promise<void>[] = [];
  let lastReported = -1;
  const report = (thread: Thread) => {
    if (!request.progress || thread.events.length <= lastReported) return;
    lastReported = thread.events.length;
    sent.push(request.progress(thread.events.length, `${thread.status}: ${thread.events.at(-1)?.type ?? "started"}`));
  };
  const unsubscribe = request.progress ? options.runner.subscribe(threadId, report) : () => {};
  try {
    await settled;
  } finally {
    unsubscribe();
  }
  const thread = (await options.store.load(threadId)) as Thread;
  if (thread) report(thread);
  await Promise.all(sent);
  return thread;
}

export function createThreadDriver(options: ThreadDriverOptions) {
  const agentNamed = (name: string): Agent => {
    const agent = options.agents.get(name);
    if (!agent) throw new InvalidInputError(`No agent named "${name}". Agents: ${[...options.agents.keys()].join(", ")}.`);
    return agent;
  };
  return {
    agentNamed,
    /** Stores a new thread of `agent` with the message and runs it until it waits or finishes. */
    async start(agentName: string, message: string, who: { actor: string; tenant: string }, request: RequestContext): Promise<Thread> {
      const agent = agentNamed(agentName);
      const thread = Thread.fromJSON({
        schemaVersion: THREAD_SCHEMA_VERSION,
        id: newId("thr"),
        agent: agent.name,
        metadata: tenantMetadata(who.tenant),
        events: [{ type: "user_input", at: new Date().toISOString(), text: message, actor: who.actor, source: "mcp" }],
      });
      await options.store.create(thread);
      return settleWithProgress(options, thread.id, options.runner.advance(thread.id), request);
    },
    /** Applies a person's decision (approve, reject, respond) and runs the thread on until it settles. */
    async decide(threadId: string, action: HumanAction, request: RequestContext): Promise<Thread> {
      const { settled } = await options.runner.change(threadId, (thread, agent) => applyHumanAction(agent, thread, action));
      return settleWithProgress(options, threadId, settled, request);
    },
  };
}

export type ThreadDriver = ReturnType<typeof createThreadDriver>;
