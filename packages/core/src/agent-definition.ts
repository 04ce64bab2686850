/**
 * `defineAgent`'s checks: everything in a definition is validated here, before any model call or
 * stored write, and turned into the policy the planner reads (plan.ts). Each check throws a
 * `ConfigurationError` that says what to write instead; they run in the order of the definition's
 * fields, so the first mistake is the one reported.
 */
import type { AgentDefinition } from "./agent.ts";
import { ConfigurationError } from "./errors.ts";
import type { Limits, Policy } from "./plan.ts";
import { xmlContext } from "./render-context.ts";
import { checkToolSources } from "./tool-sources.ts";
import type { AnyTool } from "./tools.ts";

const namePattern = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,99}$/;
const knownLimits = new Set(["maxSteps", "maxConsecutiveErrors", "onErrorLimit"]);
const knownHooks = ["beforeModelCall", "afterModelCall", "beforeToolRun", "afterToolRun"];

export function checkAgentName(name: string): void {
  if (!namePattern.test(name ?? "")) {
    throw new ConfigurationError(`Agent name ${JSON.stringify(name)} is invalid: use 1-100 letters, digits, "_", "." or "-".`);
  }
}

/** The tools by intent: at least one, each made by defineTool() (or a helper), no intent twice. */
export function toolsByIntent(definition: AgentDefinition): Map<string, AnyTool> {
  if (!Array.isArray(definition.tools) || definition.tools.length === 0) {
    throw new ConfigurationError(`Agent "${definition.name}" needs at least one tool (e.g. doneForNow()).`);
  }
  const tools = new Map<string, AnyTool>();
  for (const tool of definition.tools) {
    if (!tool || typeof tool.intent !== "string" || !tool.parameters) {
      throw new ConfigurationError(`Agent "${definition.name}": every tool must come from defineTool(), askHuman() or doneForNow().`);
    }
    if (tools.has(tool.intent)) throw new ConfigurationError(`Agent "${definition.name}": intent "${tool.intent}" is defined twice.`);
    tools.set(tool.intent, tool);
  }
  checkToolSources(definition.name, tools.values());
  return tools;
}

/** Limit names, `mode`, `prompt`, `context` and `hooks` are of the kinds the step uses. */
export function checkOptions(definition: AgentDefinition): void {
  for (const key of Object.keys(definition.limits ?? {})) {
    if (!knownLimits.has(key)) throw new ConfigurationError(`Unknown limit "${key}". Limits: ${[...knownLimits].join(", ")}.`);
  }
  if (definition.mode !== undefined && !["tools", "json", "prompt"].includes(definition.mode)) {
    throw new ConfigurationError(`mode must be "tools", "json" or "prompt", got ${JSON.stringify(definition.mode)}.`);
  }
  if (definition.prompt !== undefined && typeof definition.prompt !== "function") {
    throw new ConfigurationError("prompt must be a function (context) => messages; see defaultPrompt.");
  }
  if (definition.context !== undefined && typeof definition.context?.render !== "function") {
    throw new ConfigurationError("context must be a renderer such as xmlContext({ ... }).");
  }
  for (const [name, hook] of Object.entries(definition.hooks ?? {})) {
    if (!knownHooks.includes(name) || typeof hook !== "function") {
      throw new ConfigurationError(`Hook "${name}" is not a known hook function. Hooks: ${knownHooks.join(", ")}.`);
    }
  }
}

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new ConfigurationError(`limits.${name} must be a positive integer, got ${value}.`);
  return value;
}

/** `model` is a model spec (`provider:name`); `plan` a function; no handoff tool hands to the agent itself. */
export function checkModelAndPlan(definition: AgentDefinition): void {
  const { model, plan } = definition;
  if (model !== undefined && (typeof model !== "string" || !/^[a-z][a-z0-9-]*:\S/.test(model.trim()))) {
    throw new ConfigurationError(
      `Agent "${definition.name}": model must be a model spec such as "anthropic:claude-sonnet-4-5" or "openai:gpt-4o-mini", got ${JSON.stringify(model)}.`,
    );
  }
  if (plan !== undefined && typeof plan !== "function") {
    throw new ConfigurationError(`Agent "${definition.name}": plan must be a function (thread, { next, call }) => NextAction.`);
  }
  for (const tool of definition.tools) {
    if (tool.kind === "handoff" && tool.handoffTo === definition.name) {
      throw new ConfigurationError(
        `Agent "${definition.name}": tool "${tool.intent}" hands the conversation to the agent itself; remove it.`,
      );
    }
  }
}

/** The limits with their defaults: 20 steps, 3 consecutive errors, then escalate to a person. */
export function resolveLimits(limits: Partial<Limits> | undefined): Limits {
  const resolved: Limits = {
    maxSteps: positiveInteger(limits?.maxSteps, "maxSteps", 20),
    maxConsecutiveErrors: positiveInteger(limits?.maxConsecutiveErrors, "maxConsecutiveErrors", 3),
    onErrorLimit: limits?.onErrorLimit ?? "escalate",
  };
  if (resolved.onErrorLimit !== "escalate" && resolved.onErrorLimit !== "fail") {
    throw new ConfigurationError(`limits.onErrorLimit must be "escalate" or "fail", got ${JSON.stringify(resolved.onErrorLimit)}.`);
  }
  return resolved;
}

/**
 * Prefetch entries as `{ tool, args }`: each tool runs, is idempotent (prefetch runs before anything
 * is recorded, so it may run again after a crash) and gets valid arguments.
 */
export function resolvePrefetch(prefetch: AgentDefinition["prefetch"]): Policy["prefetch"] {
  return (prefetch ?? []).map((entry) => {
    const { tool, args } = "tool" in entry ? { tool: entry.tool, args: entry.args ?? {} } : { tool: entry as AnyTool, args: {} };
    if (!tool?.parameters) throw new ConfigurationError("Each prefetch entry must be a tool or { tool, args }.");
    if (!tool.run) throw new ConfigurationError(`Prefetch tool "${tool.intent}" has no run function.`);
    if (!tool.idempotent) {
      throw new ConfigurationError(
        `Prefetch tool "${tool.intent}" must be idempotent (idempotent: true): prefetch runs before anything is recorded, so it may run again after a crash.`,
      );
    }
    const parsed = tool.checkArgs(args);
    if (!parsed.ok) {
      throw new ConfigurationError(`Prefetch "${tool.intent}": arguments are invalid: ${parsed.message}. Pass { tool, args }.`);
    }
    return { tool, args };
  });
}

/**
 * Checks a definition and returns the planner's policy.
 *
 * @example
 * const policy = validatedPolicy({ name: "calculator", tools: [add, doneForNow()] });
 * policy.limits.maxSteps; // 20
 */
export function validatedPolicy(definition: AgentDefinition): Policy {
  checkAgentName(definition.name);
  const tools = toolsByIntent(definition);
  checkOptions(definition);
  checkModelAndPlan(definition);
  const limits = resolveLimits(definition.limits);
  const prefetch = resolvePrefetch(definition.prefetch);
  return { tools, limits, prefetch, context: definition.context ?? xmlContext(), agent: definition.name };
}
