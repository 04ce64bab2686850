/**
 * Model pieces across two server processes on one Postgres (the delta relay over LISTEN/NOTIFY): a
 * client streaming a thread from process B gets the `model_delta` pieces that process A's model
 * writes, in order and once, each after the events the model saw and before its decision, then the
 * final event; a child agent's pieces reach its parent's stream on B too, marked with its thread.
 * The stream on A, where the step runs, gets each piece once as well. Models are gated by files, so
 * the test decides when each reply streams and when it ends.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { childThreadId } from "agentfold/runtime";
import pg from "pg";
import { startChildServer, type ChildServer } from "./support/child-server.ts";
import { checkerReplies, deskReplies } from "./support/delta-replies.ts";
import { frameReader, has, type Frame } from "./support/sse-frames.ts";

const postgresUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `agentfold_deltas_${process.pid}_${Date.now().toString(36)}`;
const gates = mkdtempSync(join(tmpdir(), "agentfold-delta-gates-"));
const script = fileURLToPath(new URL("./support/delta-server-process.ts", import.meta.url));
const servers: ChildServer[] = [];

const open = (name: string) => writeFileSync(join(gates, name), "");
/** The text of the pieces of one model: the thread's own (`child` undefined) or a child's. */
const pieceText = (frames: Frame[], child?: string) =>
  frames
    .filter((frame) => frame.event === "model_delta" && frame.data.childThreadId === child)
    .map((frame) => frame.data.text)
    .join("");

before(async () => {
  const env = { TEST_DB: postgresUrl, TEST_SCHEMA: schema, TEST_GATE_DIR: gates };
  // The first creates the schema; the second starts once it is there.
  servers.push(await startChildServer(env, script));
  servers.push(await startChildServer(env, script));
});

after(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
  rmSync(gates, { recursive: true, force: true });
});

describe("model pieces across two server processes on Postgres", () => {
  it("a stream on B carries the pieces A's models write, the child's marked, in order, then the final event", {
    timeout: 60_000,
  }, async () => {
    const [a, b] = servers as [ChildServer, ChildServer];
    const launched = await fetch(`${a.url}/v1/threads?wait=0`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent: "desk", message: "check the release" }),
    });
    assert.equal(launched.status, 202, await launched.clone().text());
    const threadId = ((await launched.json()) as { id: string }).id;
    // One client on the other process, one on the process that runs the steps.
    const onB = frameReader(await fetch(`${b.url}/v1/threads/${threadId}/stream`));
    const onA = frameReader(await fetch(`${a.url}/v1/threads/${threadId}/stream`));
    const streams = [onB, onA];
    try {
      // A stream that shows the stored events already hears the pieces published after them.
      for (const stream of streams) await stream.readUntil(has("user_input"));

      // The desk's first reply: every piece reaches both streams before its decision is stored.
      open(`${threadId}-0.go`);
      for (const stream of streams) await stream.readUntil((frames) => pieceText(frames) === deskReplies[0]);
      open(`${threadId}-0.release`);
      for (const stream of streams) await stream.readUntil(has("tool_started"));

      // The child's reply, written by its own model on A while the desk's tool runs.
      const toolStarted = onB.frames.find((frame) => frame.event === "tool_started")!;
      const child = childThreadId(threadId, String(toolStarted.data.callId));
      open(`${child}-0.go`);
      for (const stream of streams) await stream.readUntil((frames) => pieceText(frames, child) === checkerReplies[0]);
      open(`${child}-0.release`);

      // The desk's last reply, then the end.
      for (const stream of streams) await stream.readUntil(has("tool_result"));
      open(`${threadId}-1.go`);
      for (const stream of streams) await stream.readUntil((frames) => pieceText(frames) === deskReplies.join(""));
      open(`${threadId}-1.release`);
      for (const stream of streams) await stream.readUntil(has("done"));

      for (const [name, stream] of [
        ["B", onB],
        ["A", onA],
      ] as const) {
        const frames = stream.frames;
        const order = frames.map((frame) =>
          frame.event === "model_delta" ? (frame.data.childThreadId ? "child_delta" : "delta") : frame.event,
        );
        const seen = order.join(" ");
        // Pieces sit between the events the model saw and its decision; nothing is heard twice.
        const decisions = order.flatMap((event, index) => (event === "model_decision" ? [index] : []));
        assert.equal(decisions.length, 2, `${name}: ${seen}`);
        assert.ok(order.indexOf("delta") > order.indexOf("user_input") && order.indexOf("delta") < decisions[0]!, `${name}: ${seen}`);
        assert.ok(order.indexOf("child_delta") > order.indexOf("tool_started"), `${name}: ${seen}`);
        assert.ok(order.lastIndexOf("child_delta") < order.indexOf("tool_result"), `${name}: ${seen}`);
        assert.ok(
          order.lastIndexOf("delta") < decisions[1]! && order.lastIndexOf("delta") > order.indexOf("tool_result"),
          `${name}: ${seen}`,
        );
        assert.equal(pieceText(frames), deskReplies.join(""), `${name}: the desk's pieces, in order, once`);
        assert.equal(pieceText(frames, child), checkerReplies[0], `${name}: the child's pieces, in order, once`);
        assert.ok(
          frames.filter((frame) => frame.event === "model_delta").every((frame) => frame.id === undefined),
          "pieces have no id",
        );
        const stored = frames.filter((frame) => frame.id !== undefined).map((frame) => Number(frame.id));
        assert.deepEqual(
          stored,
          stored.map((_, index) => index + 1),
          `${name}: every stored event once, in order`,
        );
      }
      const thread = (await (await fetch(`${b.url}/v1/threads/${threadId}`)).json()) as { status: string; events: Array<{ type: string }> };
      assert.equal(thread.status, "done");
      assert.ok(!thread.events.some((event) => event.type === "model_delta"), "pieces are never stored");
    } finally {
      await Promise.all(streams.map((stream) => stream.close()));
    }
  });
});
