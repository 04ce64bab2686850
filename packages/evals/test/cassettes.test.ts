/**
 * Record and replay through the models package's cassettes: record against a local
 * OpenAI-compatible server, stop it, replay offline and get the same results. Then a thread stored
 * by `agentfold run` becomes an eval case that passes against the replayed reply.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { calculatorModule, evalSource, fixtures, runCli, tempDir } from "./support/cli.ts";
import { startFakeChatServer } from "./support/fake-chat-server.ts";

interface JsonReport {
  passed: boolean;
  cases: Array<{
    name: string;
    model: string;
    runs: number;
    passed: number;
    inputTokens: number;
    cost?: number;
    results: Array<{ passed: boolean; calls: Array<{ intent: string; args: unknown }> }>;
  }>;
}

/** Per case: the pass count and the steps the model chose, order-free (runs interleave). */
function outcome(report: JsonReport) {
  return report.cases.map((entry) => ({
    name: entry.name,
    passed: entry.passed,
    steps: entry.results.map((result) => JSON.stringify(result.calls.map((call) => [call.intent, call.args]))).sort(),
  }));
}

describe("record and replay", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir("cassettes");
  });
  after(() => dir.remove());

  test("--record saves a cassette next to the eval; --replay with the server stopped gives identical results", async () => {
    // A fake model that multiplies correctly every other time, and always asks back on "hello".
    const seen = new Map<string, number>();
    const server = await startFakeChatServer((text) => {
      if (text.includes("hello")) return { intent: "ask", question: "What should I calculate?" };
      const count = seen.get("multiply") ?? 0;
      seen.set("multiply", count + 1);
      return count % 2 === 0 ? { intent: "multiply", a: 3, b: 4 } : { intent: "add", a: 3, b: 4 };
    });
    const spec = `openai-compatible:${server.url}#fake-model`;
    const evalFile = join(dir.path, "math.eval.ts");
    const cases = `[
      { name: "multiplies", thread: "multiply 3 and 4", expect: { intent: "multiply", args: { a: 3, b: 4 } } },
      { name: "asks back", thread: "hello", expect: { intent: "ask" } },
    ]`;
    writeFileSync(evalFile, evalSource(join(fixtures, "agent.ts"), "mathAgent", cases));
    let recorded: JsonReport;
    try {
      const result = await runCli(
        ["test", evalFile, "--model", spec, "--record", "--runs", "4", "--concurrency", "3", "--threshold", "0.5", "--json"],
        { cwd: dir.path },
      );
      assert.equal(result.code, 0, result.stderr);
      recorded = JSON.parse(result.stdout) as JsonReport;
    } finally {
      await server.close();
    }
    assert.equal(server.count, 8);
    const cassettePath = join(dir.path, "math.cassette.json");
    assert.ok(existsSync(cassettePath), "the cassette is written next to the eval file");
    const cassette = JSON.parse(readFileSync(cassettePath, "utf8")) as { spec: string; exchanges: unknown[] };
    assert.equal(cassette.spec, spec);
    assert.equal(cassette.exchanges.length, 8);
    assert.deepEqual(
      recorded.cases.map((entry) => [entry.name, entry.passed, entry.runs]),
      [
        ["multiplies", 2, 4],
        ["asks back", 4, 4],
      ],
    );

    const replay = await runCli(
      ["test", evalFile, "--replay", "--runs", "4", "--concurrency", "3", "--threshold", "0.5", "--price", "1000,2000", "--json"],
      { cwd: dir.path },
    );
    assert.equal(replay.code, 0, replay.stderr);
    const replayed = JSON.parse(replay.stdout) as JsonReport;
    assert.deepEqual(outcome(replayed), outcome(recorded));
    assert.equal(replayed.cases[0]?.model, spec, "the replayed model is the recorded one, through the same adapter");
    assert.equal(replayed.cases[0]?.inputTokens, recorded.cases[0]?.inputTokens);
    // 4 runs of 100 input and 10 output tokens at $1000 and $2000 per million.
    assert.ok(Math.abs((replayed.cases[0]?.cost ?? 0) - 0.48) < 1e-9, `cost ${replayed.cases[0]?.cost}`);

    const text = await runCli(["test", evalFile, "--replay", "--runs", "4"], { cwd: dir.path });
    assert.equal(text.code, 6, "at the default threshold 50% fails");
    assert.match(text.stdout, /✗ multiplies\s+2\/4\s+50%/);

    const more = await runCli(["test", evalFile, "--replay", "--runs", "5", "--json"], { cwd: dir.path });
    assert.equal(more.code, 6);
    assert.match(more.stdout, /has no more recorded exchanges \(8 recorded\)/);

    const other = await runCli(["test", evalFile, "--replay", "--model", "openai:gpt-4o-mini"], { cwd: dir.path });
    assert.equal(other.code, 2);
    assert.match(other.stderr, /was recorded with openai-compatible:.*, not openai:gpt-4o-mini\. Drop --model/);
  });

  test("a judge with its own model spec records into its own cassette and replays from it", async () => {
    const server = await startFakeChatServer((text) =>
      text.includes("Question:")
        ? { intent: "verdict", answer: text.includes('"intent":"ask"') ? "yes" : "no", reason: "it asks what to calculate" }
        : { intent: "ask", question: "What should I calculate?" },
    );
    const judgeSpec = `openai-compatible:${server.url}#judge-model`;
    const evalFile = join(dir.path, "judged.eval.ts");
    const cases = `[{ name: "asks back", thread: "hello", expect: { intent: "ask", judge: { question: "Does the agent ask what to calculate?", model: ${JSON.stringify(judgeSpec)} } } }]`;
    writeFileSync(evalFile, evalSource(join(fixtures, "agent.ts"), "mathAgent", cases));
    try {
      const recorded = await runCli(
        ["test", evalFile, "--model", `openai-compatible:${server.url}#fake-model`, "--record", "--runs", "2"],
        { cwd: dir.path },
      );
      assert.equal(recorded.code, 0, recorded.stdout + recorded.stderr);
      assert.match(recorded.stdout, /✓ asks back\s+2\/2/);
    } finally {
      await server.close();
    }
    assert.equal(server.count, 4);
    const judgeCassette = readdirSync(dir.path).find(
      (name) => name.startsWith("judged.openai-compatible") && name.endsWith(".cassette.json"),
    );
    assert.ok(judgeCassette, readdirSync(dir.path).join(", "));
    assert.equal((JSON.parse(readFileSync(join(dir.path, judgeCassette), "utf8")) as { spec: string }).spec, judgeSpec);
    const replayed = await runCli(["test", evalFile, "--replay", "--runs", "2", "--json"], { cwd: dir.path });
    assert.equal(replayed.code, 0, replayed.stdout + replayed.stderr);
    const report = JSON.parse(replayed.stdout) as { cases: Array<{ passed: number; judgeTokens: number }> };
    assert.equal(report.cases[0]?.passed, 2);
    assert.equal(report.cases[0]?.judgeTokens, 220);
  });

  test("threads export turns a stored thread into a case that passes against the replayed reply", async () => {
    const server = await startFakeChatServer((text) =>
      text.includes("<multiply_result>") ? { intent: "done_for_now", message: "3 * 4 = 12" } : { intent: "multiply", a: 3, b: 4 },
    );
    const spec = `openai-compatible:${server.url}#fake-model`;
    const cassette = join(dir.path, "run.cassette.json");
    const db = join(dir.path, "threads.db");
    let threadId: string;
    try {
      const run = await runCli(["run", calculatorModule, "can you multiply 3 and 4?", "--model", `record:${spec}`, "--db", db, "--json"], {
        cwd: dir.path,
        env: { AGENTFOLD_CASSETTE: cassette },
      });
      assert.equal(run.code, 0, run.stderr);
      threadId = (JSON.parse(run.stdout) as { id: string }).id;
    } finally {
      await server.close();
    }

    const first = await runCli(["threads", "export", threadId, "--as-eval", "regressions/first-step.eval.ts", "--at", "0", "--db", db], {
      cwd: dir.path,
    });
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /Wrote regressions\/first-step\.eval\.ts: case "[^"]+" with events #0-#0 of thr_\w+, expecting multiply\(\{"a":3,"b":4\}\) \(event #1\)/,
    );
    const source = readFileSync(join(dir.path, "regressions/first-step.eval.ts"), "utf8");
    assert.match(source, /import \{ calculator \} from "(\.\.\/)+.*examples\/calculator\/agent\.ts";/);
    assert.match(source, /"intent": "multiply",\n\s+"args": \{\n\s+"a": 3,\n\s+"b": 4/);

    const last = await runCli(["threads", "export", threadId, "--as-eval", "regressions/last-step.eval.ts", "--db", db, "--json"], {
      cwd: dir.path,
    });
    assert.equal(last.code, 0, last.stderr);
    const exported = JSON.parse(last.stdout) as { events: number; decisionEvent: number; expect: unknown };
    assert.deepEqual(exported.expect, { intent: "done_for_now", args: { message: "3 * 4 = 12" } });
    assert.equal(exported.events, exported.decisionEvent);

    const replayed = await runCli(["test", "regressions", "--model", `replay:${cassette}`, "--json"], { cwd: dir.path });
    assert.equal(replayed.code, 0, replayed.stdout + replayed.stderr);
    const report = JSON.parse(replayed.stdout) as JsonReport;
    assert.deepEqual(
      report.cases.map((entry) => [entry.name.replace(/thr_\w+/, "<thread>"), entry.passed]),
      [
        ["<thread> after event #0", 1],
        ["<thread> after event #3", 1],
      ],
    );

    const again = await runCli(["threads", "export", threadId, "--as-eval", "regressions/first-step.eval.ts", "--db", db], {
      cwd: dir.path,
    });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists\. Pick another file, or pass --force/);
    const beyond = await runCli(["threads", "export", threadId, "--as-eval", "regressions/x.eval.ts", "--at", "4", "--db", db], {
      cwd: dir.path,
    });
    assert.equal(beyond.code, 2);
    assert.match(beyond.stderr, /No model decision follows event #4/);
  });
});
