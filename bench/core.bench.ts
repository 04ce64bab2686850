/**
 * Core benchmark: framework overhead per step with a zero-latency model, context rendering and token
 * counting (cold and incremental), and tokens of the default context against the same thread as
 * OpenAI-style chat messages with tool calls. Everything is measured side by side in one run.
 *
 *   node bench/core.bench.ts
 *
 * Results go to bench/results/core.json and bench/results/core.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, platform, release, totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import { type Thread, countTokens, defineAgent, xmlContext, type Event, type Model, type NewEvent } from "agentfold";
import { calculator } from "../examples/calculator/agent.ts";
import { deploybot } from "../examples/deploybot/agent.ts";
import { ScriptedModel } from "agentfold/testing";

const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** A model that answers at once with the same step: the cost measured is ours alone. */
const instant: Model = {
  specificationVersion: "v1",
  id: "instant",
  async generate() {
    return { output: { intent: "add", a: 3, b: 4 } };
  },
};

/** The calculator with a step budget large enough for the longest thread measured. */
const agent = defineAgent({ name: "calculator", tools: calculator.tools, limits: { maxSteps: 1_000_000 } });

/** A calculator thread of about `length` events: decisions, tool runs, results. */
function calculatorThread(length: number): Thread {
  const events: NewEvent[] = [];
  let index = 1;
  while (events.length + 4 <= length) {
    const callId = `call_${index}_0`;
    events.push(
      { type: "model_decision", calls: [{ callId, intent: "add", args: { a: index, b: 2 } }] },
      { type: "tool_started", callId, intent: "add", args: { a: index, b: 2 }, idempotencyKey: `t:${callId}` },
      { type: "tool_result", callId, intent: "add", result: index + 2 },
    );
    index += 3;
  }
  while (events.length + 1 < length) events.push({ type: "custom", name: "note", data: { n: events.length } });
  return agent.start("keep adding 2, starting at 1", { id: "thr_bench" }).append(events);
}

/** Median µs per step at each length; lengths take turns so drift and warm-up hit all alike. */
async function stepOverhead(lengths: readonly number[]) {
  const threads = lengths.map(calculatorThread);
  const options = { model: instant };
  const samples = lengths.map(() => [] as number[]);
  for (const thread of threads) for (let i = 0; i < 500; i++) await agent.step(thread, options); // warm up
  for (let round = 0; round < 40; round++) {
    for (const [index, thread] of threads.entries()) {
      const batch = 100;
      const start = performance.now();
      for (let i = 0; i < batch; i++) await agent.step(thread, options);
      samples[index]!.push(((performance.now() - start) * 1000) / batch);
    }
  }
  return threads.map((thread, index) => ({ length: thread.events.length, medianMicrosPerStep: round(median(samples[index]!)) }));
}

function renderCosts(length: number) {
  const thread = calculatorThread(length);
  const cold: number[] = [];
  const coldTokens: number[] = [];
  const incremental: number[] = [];
  let tokens = 0;
  for (let i = 0; i < 40; i++) {
    const context = xmlContext();
    // Cold: a new renderer has no cache; the text alone, then the text and its token count.
    let start = performance.now();
    context.render(thread).text;
    cold.push((performance.now() - start) * 1000);
    const counted = xmlContext();
    start = performance.now();
    tokens = counted.render(thread).tokens;
    coldTokens.push((performance.now() - start) * 1000);
    // Incremental: only the last event is new.
    const next = thread.append([{ type: "user_input", text: `and once more, number ${i}` }]);
    start = performance.now();
    void context.render(thread).tokens;
    start = performance.now();
    void context.render(next).tokens;
    incremental.push((performance.now() - start) * 1000);
  }
  return {
    length: thread.events.length,
    tokens,
    coldRenderMicros: round(median(cold)),
    coldRenderAndCountMicros: round(median(coldTokens)),
    incrementalRenderAndCountMicros: round(median(incremental)),
  };
}

/**
 * The same thread as OpenAI chat messages with tool calls: the user's message, an assistant message
 * with `tool_calls` per decision, a `tool` message per result. Counted as the API bills them: about
 * 3 tokens per message, plus role, content, and each tool call's id, name and JSON arguments.
 */
function chatMessageTokens(events: readonly Event[]): number {
  let total = 3;
  const message = (role: string, content: string) => 3 + countTokens(role) + countTokens(content);
  for (const event of events) {
    if (event.type === "user_input") total += message("user", event.text);
    if (event.type === "model_decision") {
      total += message("assistant", "");
      for (const call of event.calls) {
        total += countTokens(
          JSON.stringify({
            id: `call_${call.callId}XyZ0aBcD1eFgH2iJ`,
            type: "function",
            function: { name: call.intent, arguments: JSON.stringify(call.args) },
          }),
        );
      }
    }
    if (event.type === "tool_result") {
      total += message("tool", JSON.stringify(event.result)) + countTokens(`call_${event.callId}XyZ0aBcD1eFgH2iJ`);
    }
    if (event.type === "human_response" || event.type === "approval_decision") {
      total += message(
        "user",
        event.type === "human_response" ? event.text : JSON.stringify({ approved: event.approved, comment: event.comment }),
      );
    }
    if (event.type === "error") total += message("tool", JSON.stringify({ error: event.message }));
  }
  return total;
}

async function exampleThreads(): Promise<Record<string, Thread>> {
  let calc = calculator.start("can you multiply 3 and 4, then divide the result by 2 and add 12");
  const calcModel = new ScriptedModel([
    { intent: "multiply", a: 3, b: 4 },
    { intent: "divide", a: 12, b: 2 },
    { intent: "add", a: 6, b: 12 },
    { intent: "done_for_now", message: "3 * 4 = 12, 12 / 2 = 6, 6 + 12 = 18. The answer is 18." },
  ]);
  calc = await calculator.run(calc, { model: calcModel });
  calc = calculator.approve(calc, calc.pending[0]!.callId, { actor: "alex" });
  calc = await calculator.run(calc, { model: calcModel });

  let deploy = deploybot.start("can you deploy the latest backend to production?");
  const deployModel = new ScriptedModel([
    { intent: "deploy_backend", tag: "v1.5.0", environment: "staging" },
    { intent: "deploy_backend", tag: "v1.5.0", environment: "production" },
    { intent: "done_for_now", message: "Deployed v1.5.0 to staging and then production." },
  ]);
  deploy = await deploybot.run(deploy, { model: deployModel });
  for (let guard = 0; guard < 5 && deploy.status === "awaiting_approval"; guard++) {
    deploy = deploybot.approve(deploy, deploy.pending[0]!.callId, { actor: "alex" });
    deploy = await deploybot.run(deploy, { model: deployModel });
  }
  return { calculator: calc, deploybot: deploy };
}

const machine = {
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  os: `${platform()} ${release()}`,
};

const steps = await stepOverhead([10, 100, 1000]);
const renders = [renderCosts(100), renderCosts(1000)];
const tokenComparison = [];
for (const [name, thread] of Object.entries(await exampleThreads())) {
  const ours = xmlContext().render(thread).tokens;
  const chat = chatMessageTokens(thread.events);
  tokenComparison.push({
    thread: name,
    status: thread.status,
    events: thread.events.length,
    xmlContextTokens: ours,
    chatMessageTokens: chat,
    saving: `${Math.round((1 - ours / chat) * 100)}%`,
  });
}
const step10 = steps[0]!.medianMicrosPerStep;
const step1000 = steps[2]!.medianMicrosPerStep;
const results = { date: new Date().toISOString(), machine, steps, ratio1000to10: round(step1000 / step10, 2), renders, tokenComparison };
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/core.json", `${JSON.stringify(results, null, 2)}\n`);
const md = [
  "# Core benchmark",
  "",
  `Run ${results.date} with \`node bench/core.bench.ts\`: node ${machine.node}, ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}.`,
  "",
  "## Framework overhead per step (zero-latency model; one decision, one tool run, render included)",
  "",
  "| thread length | median µs per step |",
  "|---:|---:|",
  ...steps.map((step) => `| ${step.length} | ${step.medianMicrosPerStep} |`),
  "",
  `Per-step cost at 1,000 ÷ at 10: ${results.ratio1000to10} (target ≤ 3; target at 100: ≤ 20 µs).`,
  "",
  "## Rendering the context",
  "",
  "| events | tokens | cold render µs | cold render + token count µs | incremental render + count µs |",
  "|---:|---:|---:|---:|---:|",
  ...renders.map(
    (r) => `| ${r.length} | ${r.tokens} | ${r.coldRenderMicros} | ${r.coldRenderAndCountMicros} | ${r.incrementalRenderAndCountMicros} |`,
  ),
  "",
  "Targets: render of 1,000 events ≤ 2,000 µs; incremental ≤ 1,000 µs.",
  "",
  "## Tokens: default context vs OpenAI-style chat messages with tool calls",
  "",
  "| thread | events | xmlContext tokens | chat message tokens | fewer |",
  "|---|---:|---:|---:|---:|",
  ...tokenComparison.map((t) => `| ${t.thread} | ${t.events} | ${t.xmlContextTokens} | ${t.chatMessageTokens} | ${t.saving} |`),
  "",
  "Both count only the thread (no system prompt), with o200k_base. Chat messages are counted as billed: ~3 tokens per message, role, content, and each tool call's id, name and JSON arguments.",
  "",
];
writeFileSync("bench/results/core.md", md.join("\n"));
console.log(md.join("\n"));
