/**
 * The agents and helpers the server tests share: a calculator whose divide needs approval and
 * counts its runs, and a worker whose tool can be made to block (to catch a thread mid-step).
 */
import { appendFileSync } from "node:fs";
import { z } from "zod";
import { askHuman, defineAgent, defineTool, doneForNow, type Agent } from "agentfold";
import { systemClock, type TimerClock } from "agentfold/runtime";
import { ScriptedModel } from "agentfold/testing";

export interface TestAgents {
  calculator: Agent;
  worker: Agent;
  /** Runs of divide, by `threadId:callId`. */
  divideRuns: Map<string, number>;
}

/**
 * @param options.runLog a file that gets one line per tool run (for counting across processes).
 * @param options.workMs how long the worker's `work` tool takes.
 * @param options.clock whose time the `work` tool waits on (default `systemClock`; a fake clock in tests that advance it).
 */
export function createTestAgents(options: { runLog?: string; workMs?: number; clock?: TimerClock } = {}): TestAgents {
  const divideRuns = new Map<string, number>();
  const record = (intent: string, key: string) => {
    if (options.runLog) appendFileSync(options.runLog, `${JSON.stringify({ intent, key, pid: process.pid })}\n`);
  };
  const divide = defineTool({
    intent: "divide",
    description: "divide a by b",
    args: z.object({ a: z.number(), b: z.number() }),
    approval: "required",
    idempotent: false,
    run: ({ a, b }, { idempotencyKey }) => {
      divideRuns.set(idempotencyKey, (divideRuns.get(idempotencyKey) ?? 0) + 1);
      record("divide", idempotencyKey);
      return a / b;
    },
  });
  const work = defineTool({
    intent: "work",
    description: "do some slow work",
    args: z.object({ label: z.string() }),
    idempotent: true,
    // It stops when its signal aborts (a cancel, a server that stops), as a well-behaved tool does.
    run: async ({ label }, { idempotencyKey, signal }) => {
      record("work", idempotencyKey);
      await (options.clock ?? systemClock).sleep(options.workMs ?? 0, signal);
      return `worked on ${label}`;
    },
  });
  const calculator = defineAgent({
    name: "calculator",
    tools: [divide, askHuman({ intent: "request_more_information" }), doneForNow()],
  });
  const worker = defineAgent({ name: "worker", tools: [work, doneForNow()] });
  return { calculator, worker, divideRuns };
}

/** Replies by turn, the same for every thread: divide 3 by 4, then done. */
export const divideScript = [
  { intent: "divide", a: 3, b: 4 },
  { intent: "done_for_now", message: "finished" },
  { intent: "done_for_now", message: "again" },
];

/** Replies by turn for the worker: one slow call, then done. */
export const workScript = [
  { intent: "work", label: "job" },
  { intent: "done_for_now", message: "work done" },
];

/** One model for the test agents: it picks the script by the agent's tools. */
export function createTestModel(): ScriptedModel {
  return new ScriptedModel(
    Array.from({ length: 3 }, (_, turn) => (request: { intents: readonly { intent: string }[] }) => {
      const has = (name: string) => request.intents.some((intent) => intent.intent === name);
      // A child that took the server's model instead of its own would finish with this message.
      if (has("refund")) return { intent: "done_for_now", message: "the server's model, not the refunder's" };
      const script = has("work") ? workScript : has("refunder") ? familyScript : has("worker") ? foremanScript : divideScript;
      return script[turn] ?? { intent: "done_for_now", message: "out of script" };
    }),
  );
}

export interface FamilyAgents {
  /** The parent: calls `refunder` as a tool. Its module creates no store. */
  support: Agent;
  /** The child, with its own model (`asTool({ model })`), whose refund needs approval. */
  refunder: Agent;
  /** Runs of refund, by idempotency key. */
  refundRuns: Map<string, number>;
}

/** What the refunder's own model says when it finishes; the server's model never says it. */
export const refunderDone = "refund issued (the refunder's own model)";

/**
 * A parent agent and its child, written as a module would be: `asTool({ model })`, no store. The
 * child's own model scripts a refund, then `refunderDone`.
 *
 * @param options.runLog a file that gets one line per refund (for counting across processes).
 */
export function createFamilyAgents(options: { runLog?: string } = {}): FamilyAgents {
  const refundRuns = new Map<string, number>();
  const refund = defineTool({
    intent: "refund",
    description: "refund an amount",
    args: z.object({ amount: z.number() }),
    approval: "required",
    run: ({ amount }, { idempotencyKey }) => {
      refundRuns.set(idempotencyKey, (refundRuns.get(idempotencyKey) ?? 0) + 1);
      if (options.runLog)
        appendFileSync(options.runLog, `${JSON.stringify({ intent: "refund", key: idempotencyKey, pid: process.pid })}\n`);
      return `refunded ${amount}`;
    },
  });
  const refunder = defineAgent({ name: "refunder", description: "issues refunds", tools: [refund, doneForNow()], limits: { maxSteps: 4 } });
  const refunderModel = new ScriptedModel([
    { intent: "refund", amount: 20 },
    { intent: "done_for_now", message: refunderDone },
  ]);
  const support = defineAgent({ name: "support", tools: [refunder.asTool({ model: refunderModel }), doneForNow()] });
  return { support, refunder, refundRuns };
}

/** The server's model for `support`: ask the refunder, then finish. A child that used it would say so. */
export const familyScript = [
  { intent: "refunder", message: "refund $20" },
  { intent: "done_for_now", message: "your refund is on its way" },
];

/** The server's model for `foreman`: have the worker do the job, then finish. */
export const foremanScript = [
  { intent: "worker", message: "do the job" },
  { intent: "done_for_now", message: "the job is done" },
];

/**
 * A parent whose child is `worker` (its slow, idempotent `work` tool), run with the worker's own
 * scripted model: a process can be killed while the child's tool runs.
 *
 * @example
 * const foreman = createForeman(createTestAgents({ workMs: 60_000 }).worker);
 */
export function createForeman(worker: Agent): Agent {
  return defineAgent({ name: "foreman", tools: [worker.asTool({ model: new ScriptedModel(workScript) }), doneForNow()] });
}
