/**
 * Why the context's YAML writer is our own (packages/core/src/yaml.ts) and not the `yaml` package:
 * both side by side on the bodies the default context renders — cost per call, tokens of the
 * output, and what loading each costs a fresh process. Correctness of ours is checked by the `yaml`
 * package itself: packages/core/test/yaml.test.ts parses 6,000 generated values back exactly.
 *
 *   node bench/yaml.bench.ts
 *
 * Results go to bench/results/yaml.json and bench/results/yaml.md.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { cpus, loadavg, platform, release } from "node:os";
import { performance } from "node:perf_hooks";
import YAML from "yaml";
import { countTokens, type JsonValue } from "agentfold";
import { toYaml } from "../packages/core/src/yaml.ts";

const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Bodies as the default renderer writes them: tool arguments, a tool result, a list of records, an error. */
const bodies: Record<string, JsonValue> = {
  "tool arguments": { a: 3, b: 4 },
  "deploy arguments": { environment: "production", tag: "v1.2.3", notify: ["#deploys", "oncall@example.com"] },
  "tool result, records": {
    tags: [
      { name: "v1.2.3", commit: "7c02af9", date: "2026-11-12T09:03:00Z" },
      { name: "v1.2.2", commit: "ab1f004", date: "2026-11-02T16:40:00Z" },
      { name: "v1.2.1", commit: "0e9d7c1", date: "2026-10-28T11:15:00Z" },
    ],
  },
  "error with text": { intent: "fetch_page", message: "The page answered 503.\nRetry after 30 seconds." },
  "nested result": { customer: { id: "cus_81", plan: { name: "team", seats: 12 }, flags: ["beta", "invoice"] }, total: 1250.5 },
};

function perCall(write: (value: JsonValue) => string, value: JsonValue): number {
  const runs: number[] = [];
  for (let round = 0; round < 7; round++) {
    const count = 20_000;
    const start = performance.now();
    for (let index = 0; index < count; index++) write(value);
    runs.push(((performance.now() - start) / count) * 1000);
  }
  return median(runs);
}

const theirs = (value: JsonValue) => YAML.stringify(value);
const rows = Object.entries(bodies).map(([name, value]) => {
  const ours = toYaml(value);
  const package_ = theirs(value).trimEnd();
  return {
    body: name,
    oursMicroseconds: round(perCall(toYaml, value)),
    yamlMicroseconds: round(perCall(theirs, value)),
    oursTokens: countTokens(ours),
    yamlTokens: countTokens(package_),
  };
});

/** Median time to import a module in a fresh process, over bare node. */
function importMs(specifier: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t);`;
  const times: number[] = [];
  for (let run = 0; run < 9; run++) {
    times.push(
      Number(
        execFileSync(process.execPath, ["--input-type=module", "-e", script], {
          cwd: new URL("../packages/core/", import.meta.url),
          encoding: "utf8",
        }),
      ),
    );
  }
  return round(median(times), 1);
}
// Ours as plain JavaScript, as the built package ships it (importing the .ts would time Node's type stripper).
const oursJs = join(mkdtempSync(join(tmpdir(), "agentfold-yaml-bench-")), "yaml.mjs");
writeFileSync(oursJs, stripTypeScriptTypes(readFileSync(new URL("../packages/core/src/yaml.ts", import.meta.url), "utf8")));
const load = { ours: importMs(pathToFileURL(oursJs).href), yaml: importMs("yaml") };

const machine = `node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${platform()} ${release()}, load average ${loadavg()
  .map((value) => value.toFixed(2))
  .join(", ")}`;
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(
  new URL("./results/yaml.json", import.meta.url),
  `${JSON.stringify({ at: new Date().toISOString(), machine, rows, load }, null, 2)}\n`,
);
const table = rows
  .map(
    (row) =>
      `| ${row.body} | ${row.oursMicroseconds} | ${row.yamlMicroseconds} | ${round(row.yamlMicroseconds / row.oursMicroseconds, 1)} | ${row.oursTokens} | ${row.yamlTokens} |`,
  )
  .join("\n");
writeFileSync(
  new URL("./results/yaml.md", import.meta.url),
  `# YAML writer: ours against the \`yaml\` package

Run ${new Date().toISOString()} with \`node bench/yaml.bench.ts\`: ${machine}. Medians of 7 rounds of
20,000 calls, side by side in one process; load times are medians of 9 fresh processes.

| body | ours (µs) | \`yaml\` (µs) | ratio | ours (tokens) | \`yaml\` (tokens) |
|---|---:|---:|---:|---:|---:|
${table}

Loading: ours ${load.ours} ms, \`yaml\` ${load.yaml} ms (an import in a fresh process, over the import machinery).

Why ours stays: the default context writes one YAML body per event on every step, so the writer is
on the step's hot path, and a fresh process (\`agentfold approve\`) would load the package before its
first step. Ours also writes the dense style the context wants (a list of flat records one flow
mapping per line), which the package writes as block mappings. Its correctness is the package's to
judge: packages/core/test/yaml.test.ts writes 6,000 generated JSON values with ours and requires
\`yaml\` to parse each back exactly.
`,
);
console.log(rows, load);
