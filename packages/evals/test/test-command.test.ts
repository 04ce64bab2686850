/**
 * `agentfold test` as CI runs it: exit codes for passing and failing thresholds, reporters, finding
 * eval files, and clear errors for bad input.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, type TestSuites } from "junit2json";
import { evalSource, fixtures, runCli, tempDir } from "./support/cli.ts";

const multiplyCase = join(fixtures, "multiply-case.ts");
const rightScript = `script:${join(fixtures, "multiply.json")}`;
const wrongScript = `script:${join(fixtures, "add.json")}`;

describe("agentfold test", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir("command");
  });
  after(() => dir.remove());

  test("every case at the threshold: exit 0 and a line per case", async () => {
    const result = await runCli(["test", multiplyCase, "--model", rightScript, "--runs", "3"], { cwd: dir.path });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /✓ multiplies 3 and 4\s+3\/3\s+100%/);
    assert.match(result.stdout, /1 of 1 cases at or above 90% · 3\/3 runs passed/);
    assert.equal(result.stderr, "", "no progress bar without a terminal");
  });

  test("a case below the threshold: exit 6 and the reason of each failed run", async () => {
    const result = await runCli(["test", multiplyCase, "--model", wrongScript, "--runs", "2"], { cwd: dir.path });
    assert.equal(result.code, 6, result.stderr);
    assert.match(result.stdout, /✗ multiplies 3 and 4\s+0\/2\s+0%/);
    assert.match(result.stdout, /run 1: intent: expected multiply, got add\(\{"a":3,"b":4\}\)/);
    assert.match(result.stdout, /1 of 1 cases below 90%/);
    const lenient = await runCli(["test", multiplyCase, "--model", wrongScript, "--threshold", "0%"], { cwd: dir.path });
    assert.equal(lenient.code, 0, lenient.stderr);
  });

  test("--reporter junit prints XML a JUnit parser reads; -o writes it to a file and prints the summary", async () => {
    const result = await runCli(["test", multiplyCase, "--model", wrongScript, "--reporter", "junit"], { cwd: dir.path });
    assert.equal(result.code, 6, result.stderr);
    const parsed = (await parse(result.stdout)) as TestSuites;
    assert.equal(parsed.tests, 1);
    assert.equal(parsed.failures, 1);
    assert.equal(parsed.testsuite?.[0]?.testcase?.[0]?.name, "multiplies 3 and 4");

    const written = await runCli(["test", multiplyCase, "--model", rightScript, "--reporter", "junit", "-o", "reports/evals.xml"], {
      cwd: dir.path,
    });
    assert.equal(written.code, 0, written.stderr);
    assert.match(written.stdout, /✓ multiplies 3 and 4/);
    assert.match(written.stdout, /junit report written to reports\/evals\.xml/);
    const file = (await parse(readFileSync(join(dir.path, "reports/evals.xml"), "utf8"))) as TestSuites;
    assert.equal(file.failures, 0);
  });

  test("--json prints the whole report", async () => {
    const result = await runCli(["test", multiplyCase, "--model", rightScript, "--runs", "2", "--json"], { cwd: dir.path });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      passed: boolean;
      cases: Array<{ name: string; passRate: number; model: string; results: Array<{ calls: unknown[] }> }>;
    };
    assert.equal(report.passed, true);
    assert.equal(report.cases[0]?.passRate, 1);
    assert.equal(report.cases[0]?.model, rightScript);
    assert.deepEqual(report.cases[0]?.results[0]?.calls, [{ callId: "call_1_0", intent: "multiply", args: { a: 3, b: 4 } }]);
  });

  test("without a pattern it finds **/*.eval.ts, skipping node_modules", async () => {
    const project = join(dir.path, "project");
    mkdirSync(join(project, "evals"), { recursive: true });
    mkdirSync(join(project, "node_modules/some-package"), { recursive: true });
    const cases = `[{ name: "found", thread: "multiply 3 and 4", expect: { intent: "multiply" } }]`;
    writeFileSync(join(project, "evals/found.eval.ts"), evalSource(join(fixtures, "agent.ts"), "mathAgent", cases));
    writeFileSync(join(project, "node_modules/some-package/hidden.eval.ts"), "throw new Error('node_modules must be skipped');\n");
    const result = await runCli(["test", "--model", rightScript], { cwd: project });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^found\s+\(evals\/found\.eval\.ts/m);
    assert.match(result.stdout, /✓ found/);
  });

  test("bad input exits 2 with what to fix", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["test", "nothing-here"], /No eval files match "nothing-here"/],
      [
        ["test", join(fixtures, "unknown-intent-case.ts"), "--model", rightScript],
        /agent "math" has no intent "divide"\. Its intents: add, multiply, ask, done_for_now/,
      ],
      [["test", multiplyCase, "--model", rightScript, "--threshold", "2"], /--threshold must be a pass rate from 0 to 1/],
      [["test", multiplyCase, "--model", rightScript, "--runs", "0"], /--runs must be a whole number from 1/],
      [["test", multiplyCase, "--model", rightScript, "--reporter", "tap"], /Unknown reporter "tap"\. Use one of: text, json, junit/],
      [
        ["test", multiplyCase, "--model", rightScript, "--record"],
        /is a scripted model: its replies are already written down, so there is nothing to record/,
      ],
      [["test", multiplyCase, "--record"], /--record needs the model to record: pass --model <spec>/],
      [["test", multiplyCase, "--replay"], /There is no cassette .*multiply-case\.cassette\.json to replay\. Record it first/],
      [["test", multiplyCase, "--record", "--replay", "--model", "openai:gpt-4o-mini"], /--record and --replay exclude each other/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, { cwd: dir.path })));
    for (const [index, [args, message]] of cases.entries()) {
      const result = results[index]!;
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, message, args.join(" "));
    }
  });
});
