/**
 * Handoffs (factor 10): an agent passes the conversation to another agent, which drives the same
 * thread from then on. Unlike a child agent called as a tool (`asTool`), nothing comes back: the
 * thread's `handoff` event says who drives it, and runners step it with that agent.
 */
import { z } from "zod";
import { ConfigurationError } from "./errors.ts";
import { defineTool, type AnyTool } from "./tools.ts";

export interface HandoffToolOptions {
  /** Default: `transfer_to_<agent name>`. */
  intent?: string;
  description?: string;
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
  return defineTool({
    intent,
    description:
      options.description ??
      `Hand the conversation to the ${agent.name} agent${agent.description ? ` (${agent.description})` : ""}; it takes over from here.`,
    args: (reasonArgs ??= reasonSchema()),
    kind: "handoff",
    handoffTo: agent.name,
  });
}
