/**
 * Handoffs (factor 10): an agent passes the conversation to another agent, which drives the same
 * thread from then on. Unlike a child agent called as a tool (`asTool`), nothing comes back: the
 * thread's `handoff` event says who drives it, and runners step it with that agent. A child agent's
 * thread (`asTool`) that is handed off goes on as the child with the agent it was handed to (see
 * child-agent.ts), found through the handoff tools (`handoffTarget`) since nothing registers it.
 */
import { z } from "zod";
import { ConfigurationError } from "./errors.ts";
import { defineTool, type AnyTool } from "./tools.ts";

export interface HandoffToolOptions {
  /** Default: `transfer_to_<agent name>`. */
  intent?: string;
  description?: string;
}

/** The agent behind each tool made by `asHandoff()`. */
const handoffAgents = new WeakMap<AnyTool, unknown>();

/** What finding a handoff's target needs of an agent (kept narrow to avoid a cycle with agent.ts). */
interface HandingAgent {
  name: string;
  policy: { tools: ReadonlyMap<string, AnyTool> };
}

/** Handoff chains longer than this are not followed. */
const MAX_HOPS = 32;

/**
 * The agent named `name` that `from` can hand a thread to through its handoff tools (`asHandoff()`),
 * directly or through the agents those hand to; `from` itself when it is named `name`; else
 * `undefined`. What a child agent's thread needs, whose agents are found through its parent's tool
 * rather than by name.
 *
 * @example
 * const billing = handoffTarget(triage, "billing");
 */
export function handoffTarget<A extends HandingAgent>(from: A, name: string): A | undefined {
  const seen = new Set<A>([from]);
  let level: A[] = [from];
  for (let hop = 0; hop <= MAX_HOPS && level.length > 0; hop++) {
    const next: A[] = [];
    for (const agent of level) {
      if (agent.name === name) return agent;
      for (const tool of agent.policy.tools.values()) {
        const target = handoffAgents.get(tool) as A | undefined;
        if (target && !seen.has(target)) {
          seen.add(target);
          next.push(target);
        }
      }
    }
    level = next;
  }
  return undefined;
}

/** The handoff tool's arguments; made on first use, so importing agentfold does not build them. */
const reasonSchema = () => z.object({ reason: z.string().min(1).describe("Why you hand over, and what the next agent needs to know") });
let reasonArgs: ReturnType<typeof reasonSchema> | undefined;

/**
 * The tool another agent's model chooses to hand the conversation to `agent`.
 *
 * @example
 * const triage = defineAgent({ name: "triage", tools: [billing.asHandoff(), doneForNow()] });
 */
export function handoffTool(agent: { name: string; description: string | undefined }, options: HandoffToolOptions = {}): AnyTool {
  const intent = options.intent ?? `transfer_to_${agent.name.replaceAll(".", "_")}`;
  if (!/^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$/.test(intent)) {
    throw new ConfigurationError(
      `Agent "${agent.name}" cannot be handed to under its own name: pass asHandoff({ intent: "a_valid_name" }).`,
    );
  }
  const tool = defineTool({
    intent,
    description:
      options.description ??
      `Hand the conversation to the ${agent.name} agent${agent.description ? ` (${agent.description})` : ""}; it takes over from here.`,
    args: (reasonArgs ??= reasonSchema()),
    kind: "handoff",
    handoffTo: agent.name,
  });
  handoffAgents.set(tool, agent);
  return tool;
}
