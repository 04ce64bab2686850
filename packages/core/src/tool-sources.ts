/**
 * Tool sources: tools whose list lives outside the agent module and can change between processes or
 * while one runs (an MCP server's tools, from `mcpTools`). A thread records the list it was offered
 * in a `tools_listed` event and keeps offering that list, so a later step, another process or a
 * fork (which copies the events) offers the tools its model chose from, and a call of a tool the
 * source dropped since fails when it runs, with an error naming what the source lists now.
 *
 * Invariants:
 * - What a thread offers is a function of the agent and the thread: for each source, the tools
 *   built from its last `tools_listed`, else the tools the agent was defined with. Planning and
 *   rendering stay synchronous; only `recordToolLists`, right before a decision, asks a source.
 * - A source is asked before a decision only when the thread has no list of it from the current
 *   turn (since its last `user_input`); a list equal to the last recorded one is not recorded again.
 *   Within a turn the tools never change under the model.
 */
import type { Clock } from "./clock.ts";
import { ConfigurationError } from "./errors.ts";
import type { Event, ListedTool, NewEvent } from "./events.ts";
import { canonicalJson } from "./hash.ts";
import { intentSpecs, nextStepSchema } from "./model-output.ts";
import type { Policy } from "./plan.ts";
import type { Runtime } from "./step.ts";
import type { Thread } from "./thread.ts";
import type { AnyTool } from "./tools.ts";

/**
 * Where some of an agent's tools come from. Each tool it makes carries it as `tool.source`;
 * `defineAgent` finds the sources among its tools.
 *
 * @example
 * const files = await mcpTools({ name: "files", command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "."] });
 * files.tools[0]!.source === files; // true: an McpToolSet is a ToolSource
 */
export interface ToolSource {
  /** Unique among an agent's sources: the `source` of its `tools_listed` events. */
  readonly name: string;
  /** The tools as the source lists them now, with the owner's choices applied. */
  readonly tools: readonly AnyTool[];
  /** The list as the source has it now, unfiltered: what a thread records. */
  list(): Promise<ListedTool[]>;
  /** The tools for a list a thread recorded, with the same choices as `tools`. */
  toolsFor(listed: readonly ListedTool[]): readonly AnyTool[];
}

/** The distinct sources among a policy's tools, in the order of their first tool. */
export function sourcesOf(tools: Iterable<AnyTool>): ToolSource[] {
  const sources = new Set<ToolSource>();
  for (const tool of tools) if (tool.source) sources.add(tool.source);
  return [...sources];
}

/** Two sources of one agent may not share a name: their lists would overwrite each other in a thread. */
export function checkToolSources(agent: string, tools: Iterable<AnyTool>): void {
  const names = new Set<string>();
  for (const source of sourcesOf(tools)) {
    if (names.has(source.name)) {
      throw new ConfigurationError(`Agent "${agent}": two tool sources are named "${source.name}". Give each MCP server its own name.`);
    }
    names.add(source.name);
  }
}

// A thread's view is rebuilt only when its lists change (the events are the same objects until then).
const views = new WeakMap<Policy, { lists: readonly Event[]; view: Policy }>();
const isView = new WeakSet<Policy>();

/**
 * The policy as of this thread: each source's tools as the thread last recorded them. The policy
 * itself when the thread recorded no list.
 *
 * @example
 * const offered = policyAsOf(agent.policy, thread).tools; // the intents the thread's model may choose
 */
export function policyAsOf(policy: Policy, thread: Thread): Policy {
  const lists = thread.state.toolLists;
  if (lists.size === 0 || isView.has(policy)) return policy;
  const events = [...lists.values()].map((at) => thread.eventAt(at.index)!);
  const cached = views.get(policy);
  if (cached && cached.lists.length === events.length && cached.lists.every((event, index) => event === events[index])) {
    return cached.view;
  }
  const recorded = new Map(events.flatMap((event) => (event.type === "tools_listed" ? [[event.source, event.tools] as const] : [])));
  const tools = new Map<string, AnyTool>();
  const placed = new Set<ToolSource>();
  for (const tool of policy.tools.values()) {
    const source = tool.source;
    const list = source && recorded.get(source.name);
    if (!source || !list) {
      tools.set(tool.intent, tool);
      continue;
    }
    if (placed.has(source)) continue;
    placed.add(source);
    // Tools of the source the agent left out of its definition stay out.
    const chosen = new Set([...policy.tools.values()].filter((each) => each.source === source).map((each) => each.intent));
    const leftOut = new Set(source.tools.map((each) => each.intent).filter((intent) => !chosen.has(intent)));
    for (const offered of source.toolsFor(list)) {
      if (leftOut.has(offered.intent)) continue;
      const other = tools.get(offered.intent) ?? policy.tools.get(offered.intent);
      if (other && other.source !== source) {
        throw new ConfigurationError(
          `Agent "${policy.agent ?? "agent"}": the tools "${source.name}" listed for thread ${thread.id} include intent "${offered.intent}", which another tool of the agent has. Give the source a prefix.`,
        );
      }
      tools.set(offered.intent, offered);
    }
  }
  const view: Policy = { ...policy, tools };
  isView.add(view);
  views.set(policy, { lists: events, view });
  return view;
}

const runtimeViews = new WeakMap<Policy, { base: Runtime; view: Runtime }>();

/** The runtime as of this thread: its policy, and the next-step schema and intents the model is shown. */
export function runtimeAsOf(runtime: Runtime, thread: Thread): Runtime {
  const policy = policyAsOf(runtime.policy, thread);
  if (policy === runtime.policy) return runtime;
  const cached = runtimeViews.get(policy);
  if (cached?.base === runtime) return cached.view;
  const tools = [...policy.tools.values()];
  const view: Runtime = { ...runtime, policy, schema: nextStepSchema(tools), intents: intentSpecs(tools) };
  runtimeViews.set(policy, { base: runtime, view });
  return view;
}

/**
 * Before a decision: a `tools_listed` for each source the thread has no list of from this turn and
 * whose list differs from the last one recorded. Returns the thread with them appended (not committed).
 */
export async function recordToolLists(policy: Policy, thread: Thread, clock: Clock): Promise<Thread> {
  const events: NewEvent[] = [];
  for (const source of sourcesOf(policy.tools.values())) {
    const at = thread.state.toolLists.get(source.name);
    if (at?.sinceInput) continue;
    const listed = await source.list();
    const last = at && thread.eventAt(at.index);
    if (last?.type === "tools_listed" && canonicalJson(last.tools) === canonicalJson(listed)) continue;
    events.push({ type: "tools_listed", source: source.name, tools: listed });
  }
  return events.length === 0 ? thread : thread.append(events, clock);
}
