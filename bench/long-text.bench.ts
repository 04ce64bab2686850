/**
 * Long-text benchmark: what a megabyte of text costs a step with a token budget, and how long the
 * event loop is stalled meanwhile. Issue #11 asked for counting that never blocks the event loop for
 * more than about 50 ms and a 1 MB message handled in well under a second.
 *
 *   node bench/long-text.bench.ts
 *
 * For each text: `countTokens` in one synchronous call (the stall a count without slices would be),
 * and a whole step of an agent with a token budget (`agent.run`, a scripted model) timed end to end
 * while a 1 ms interval timer records the longest gap between its runs — the longest time anything
 * else in the process (an HTTP request, /healthz) had to wait. Medians over 5 runs, each with new
 * texts (a text counted before would hit gpt-tokenizer's cache of pieces; prose's words are in it
 * after the first run, as in a server) and a fresh agent. Results go to bench/results/long-text.json and .md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release } from "node:os";
import { performance } from "node:perf_hooks";
import { countTokens, defineAgent, doneForNow, xmlContext } from "agentfold";
import { ScriptedModel } from "agentfold/testing";

const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const round = (value: number) => Math.round(value * 10) / 10;
const MiB = 2 ** 20;

/** xorshift32: integer arithmetic only, so the sequence does not fall into a short cycle (a float LCG does). */
let seed = 0x2545f491;
const random = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
const pick = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
const words = "the agent asked whether the deploy should wait for the health check before it said done and a person said yes".split(" ");
/** A new text of each kind per run: a text counted before would hit gpt-tokenizer's cache of pieces. */
const texts: Record<string, () => string> = {
  "1 MiB prose": () => {
    let prose = "";
    while (prose.length < MiB) prose += `${words[Math.floor(random() * words.length)]} `;
    return prose.slice(0, MiB);
  },
  "1 MiB unbroken a": () => "a".repeat(MiB),
  "1 MiB random letters, mixed case": () => pick("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", MiB),
  "1 MiB random lowercase letters": () => pick("abcdefghijklmnopqrstuvwxyz", MiB),
};

/** Runs `work` while a 1 ms timer watches the event loop; returns the wall time and the longest gap. */
async function watched(work: () => Promise<unknown>): Promise<{ ms: number; stallMs: number }> {
  let last = performance.now();
  let stall = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 1);
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  clearInterval(timer);
  stall = Math.max(stall, performance.now() - last);
  return { ms, stallMs: stall };
}

countTokens("warm up the tokenizer");
const rows: { text: string; tokens: number; syncCountMs: number; stepMs: number; stepStallMs: number }[] = [];
for (const [name, make] of Object.entries(texts)) {
  const sync: number[] = [];
  const step: number[] = [];
  const stall: number[] = [];
  let tokens = 0;
  for (let run = 0; run < 5; run++) {
    const [text, other] = [make(), make()];
    const start = performance.now();
    tokens = countTokens(other);
    sync.push(performance.now() - start);
    const agent = defineAgent({ name: "reader", tools: [doneForNow()], context: xmlContext({ maxTokens: 10 * MiB }) });
    const model = new ScriptedModel([{ intent: "done_for_now", message: "read it" }]);
    const measured = await watched(() => agent.run(agent.start(text), { model }));
    step.push(measured.ms);
    stall.push(measured.stallMs);
  }
  rows.push({ text: name, tokens, syncCountMs: round(median(sync)), stepMs: round(median(step)), stepStallMs: round(median(stall)) });
  console.log(rows.at(-1));
}

const machine = `node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${platform()} ${release()}, load average ${loadavg()
  .map((value) => value.toFixed(2))
  .join(", ")}`;
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(
  new URL("./results/long-text.json", import.meta.url),
  `${JSON.stringify({ at: new Date().toISOString(), machine, rows }, null, 2)}\n`,
);
const table = rows.map((row) => `| ${row.text} | ${row.tokens} | ${row.syncCountMs} | ${row.stepMs} | ${row.stepStallMs} |`).join("\n");
writeFileSync(
  new URL("./results/long-text.md", import.meta.url),
  `# Long-text benchmark

Run ${new Date().toISOString()} with \`node bench/long-text.bench.ts\`: ${machine}. Medians over 5 runs,
each with texts never counted before (the synchronous count and the step each get their own).

A step of an agent with a token budget counts the context's new text in slices of 8 KiB and yields
to the event loop between them (\`ContextRenderer.prepare\`, \`countTokensInSlices\`). "Longest stall"
is the longest gap between two runs of a 1 ms interval timer during the step: how long any other
request to the same process waited at worst. The synchronous count is what the same text costs
counted in one call, the stall a step without slices would cause.

| text | tokens | \`countTokens\` in one call (ms) | step with a token budget (ms) | longest stall during the step (ms) |
|---|---:|---:|---:|---:|
${table}

Random letters are hostile text: nearly every piece is new, so each costs gpt-tokenizer a byte-pair
merge (prose's words are single tokens found by lookup). gpt-tokenizer remembers up to 100,000
merged pieces and, when full, evicts the oldest for each new one, which slows down badly as its Map
churns: before the count cleared that cache itself every 90,000 tokens, the mixed-case megabyte took
7.7 s with slices of over 200 ms, the lowercase one 1.8 s. Turning the cache off instead
(\`setMergeCacheSize(0)\`) made a megabyte of JSON three times slower (80 ms to 238 ms).
`,
);
