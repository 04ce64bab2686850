import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { ConfigurationError } from "agentfold";
import { faultPointNames, parseFaultSpec } from "../src/fault-points.ts";

const moduleUrl = new URL("../src/fault-points.ts", import.meta.url).href;

/** Runs `body` in a fresh Node process with AGENTFOLD_FAULT set: the variable is read once, at load. */
function runWithFault(fault: string, body: string) {
  const script = `const { faultPoint } = await import(${JSON.stringify(moduleUrl)});\n${body}`;
  return spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, AGENTFOLD_FAULT: fault },
    encoding: "utf8",
  });
}

test("parses points, probabilities and the commit-then-throw mode, comma-separated", () => {
  assert.deepEqual(
    [...parseFaultSpec("tool-started, tool-ran:0.25,commit-then-throw:group-commit,commit-then-throw:cancel:0")],
    [
      ["tool-started", { mode: "kill", probability: 1 }],
      ["tool-ran", { mode: "kill", probability: 0.25 }],
      ["group-commit", { mode: "commit-then-throw", probability: 1 }],
      ["cancel", { mode: "commit-then-throw", probability: 0 }],
    ],
  );
  assert.equal(parseFaultSpec("").size, 0);
});

test("an unknown point is a ConfigurationError that lists the valid points", () => {
  assert.throws(
    () => parseFaultSpec("tool-started,tool-finished"),
    (error: unknown) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, /unknown fault point "tool-finished"/);
      for (const name of faultPointNames) assert.ok(error.message.includes(name), `the message lists ${name}`);
      return true;
    },
  );
  assert.throws(() => parseFaultSpec("commit-then-throw"), /unknown fault point ""/);
});

test("a probability that is not a number from 0 to 1 is a ConfigurationError", () => {
  for (const bad of [
    "tool-started:",
    "tool-started:1.5",
    "tool-started:-0.1",
    "tool-started:half",
    "tool-started:0.5:1",
    "tool-started:NaN",
  ]) {
    assert.throws(
      () => parseFaultSpec(bad),
      (error: unknown) => error instanceof ConfigurationError && /invalid probability/.test(error.message),
      bad,
    );
  }
});

test("an invalid AGENTFOLD_FAULT stops the process when the module loads", () => {
  const run = runWithFault("tool-finsihed", "");
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /ConfigurationError.*unknown fault point "tool-finsihed"/s);
});

test("an armed point kills the process with SIGKILL; other points and probability 0 never fire", () => {
  const run = runWithFault(
    "tool-ran,cancel:0",
    `for (let i = 0; i < 10000; i++) faultPoint("cancel");
     faultPoint("tool-started");
     faultPoint("group-commit", "before-commit");
     process.stdout.write("before\\n");
     faultPoint("tool-ran");
     process.stdout.write("after\\n");`,
  );
  assert.equal(run.signal, "SIGKILL");
  assert.equal(run.stdout, "before\n");
});

test("commit-then-throw throws FaultInjectedError after the commit, not before it", () => {
  const run = runWithFault(
    "commit-then-throw:group-commit",
    `faultPoint("group-commit", "before-commit");
     process.stdout.write("committed\\n");
     try { faultPoint("group-commit", "after-commit"); } catch (error) { process.stdout.write(error.name + " " + error.code + " " + error.point + "\\n"); }`,
  );
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, "committed\nFaultInjectedError fault_injected group-commit\n");
});

test("unset, a fault point does nothing", () => {
  const run = runWithFault(
    "",
    `for (const name of ["tool-started", "tool-ran", "group-commit"]) faultPoint(name); process.stdout.write("ok");`,
  );
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, "ok");
});
