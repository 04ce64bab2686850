/**
 * The contract every `Channel` keeps, run against a real server (memory store, scripted model):
 * a pending approval or question is delivered once to its audience; the audience's approve, reject
 * and answer come back as exactly one decision with the actor recorded; a replay has no second
 * effect; someone outside the audience and a forged request change nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { askHuman, defineAgent, defineTool, doneForNow, type JsonValue, type ModelRequest } from "agentfold";
import { ScriptedModel, createMemoryStore } from "agentfold/testing";
import { createServer } from "@agentfold/server";
import type { Channel } from "../channel.ts";
import { createChannels, type Channels } from "../create-channels.ts";
import type { RouteSend } from "../routing.ts";

/** What a channel's test knows how to do: read what was delivered, and make the requests people would send. */
export interface ChannelDriver {
  channel: Channel;
  /** The audience the suite routes every request to; `allowed` must be in it, `stranger` not. */
  send: RouteSend;
  allowed: string;
  stranger: string;
  /** Waits until the item of `callId` was delivered and returns whatever the driver needs to answer it. */
  delivered(threadId: string, callId: string): Promise<unknown>;
  /** The inbound request `person` would send. */
  approve(delivered: unknown, person: string): Promise<Request>;
  reject(delivered: unknown, person: string, reason: string): Promise<Request>;
  answer(delivered: unknown, person: string, text: string): Promise<Request>;
  /** The same request with a broken signature or secret. */
  forge(request: Request): Promise<Request>;
  /** How the channel names `person` in the recorded actor. */
  actor(person: string): string;
  close?(): Promise<void>;
}

export interface ChannelConformanceOptions {
  name: string;
  newDriver: () => Promise<ChannelDriver>;
}

/**
 * @example
 * runChannelConformance({ name: "webhook", newDriver: async () => createWebhookDriver() });
 */
export function runChannelConformance(options: ChannelConformanceOptions): void {
  describe(`Channel conformance: ${options.name}`, () => {
    let driver: ChannelDriver;
    let channels: Channels;
    let app: ReturnType<typeof createServer>["app"];
    const store = createMemoryStore();
    const runs: JsonValue[] = [];

    before(async () => {
      driver = await options.newDriver();
      const transfer = defineTool({
        intent: "transfer",
        description: "move money",
        args: z.object({ amount: z.number() }),
        approval: "required",
        idempotent: false,
        run: ({ amount }) => {
          runs.push(amount);
          return "moved";
        },
      });
      const agent = defineAgent({ name: "banker", tools: [transfer, askHuman(), doneForNow()] });
      const model = new ScriptedModel(
        Array.from({ length: 4 }, (_, turn) => (request: ModelRequest) => {
          const first = request.messages.map((message) => message.content).join("\n");
          if (turn > 0) return { intent: "done_for_now", message: "ok" };
          return first.includes("ask me")
            ? { intent: "request_human_input", question: "Which account?" }
            : { intent: "transfer", amount: 10 };
        }),
      );
      channels = createChannels({ channels: [driver.channel], routing: [{ send: [driver.send] }], sweepIntervalMs: 0 });
      ({ app } = createServer({ store, agents: [agent], model, apiKeys: false, extensions: [channels] }));
    });
    after(async () => {
      await channels.close();
      await driver.close?.();
    });

    async function launch(message: string) {
      const response = await app.request("/v1/threads", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message }),
      });
      const thread = (await response.json()) as { id: string; pending: { callId: string }[] };
      await channels.idle();
      assert.equal(thread.pending.length, 1, "the thread waits for a person");
      return { threadId: thread.id, callId: thread.pending[0]!.callId };
    }
    async function send(request: Request) {
      const response = await app.request(request);
      await channels.idle();
      return response;
    }
    const load = async (threadId: string) => (await store.load(threadId))!;

    it("delivers an approval once and the audience's approval runs the call once, with the actor", async () => {
      const { threadId, callId } = await launch("move 10");
      await channels.sweep();
      const delivered = await driver.delivered(threadId, callId);
      const request = await driver.approve(delivered, driver.allowed);
      const replay = request.clone();
      assert.ok((await send(request)).status < 300);
      const thread = await load(threadId);
      const decision = thread.events.find((event) => event.type === "approval_decision");
      assert.ok(decision?.type === "approval_decision" && decision.approved);
      assert.equal(decision.actor, driver.actor(driver.allowed));
      assert.equal(thread.status, "done");
      assert.equal(runs.length, 1);
      await send(replay);
      assert.equal(runs.length, 1, "a replayed request has no second effect");
      assert.equal((await load(threadId)).version, thread.version);
    });

    it("rejects with the reason", async () => {
      const { threadId, callId } = await launch("move 10");
      const delivered = await driver.delivered(threadId, callId);
      await send(await driver.reject(delivered, driver.allowed, "not today"));
      const decision = (await load(threadId)).events.find((event) => event.type === "approval_decision");
      assert.ok(decision?.type === "approval_decision" && !decision.approved && decision.comment === "not today");
    });

    it("answers a question", async () => {
      const { threadId, callId } = await launch("ask me something");
      const delivered = await driver.delivered(threadId, callId);
      await send(await driver.answer(delivered, driver.allowed, "savings"));
      const answer = (await load(threadId)).events.find((event) => event.type === "human_response");
      assert.ok(answer?.type === "human_response" && answer.text === "savings" && answer.actor === driver.actor(driver.allowed));
    });

    it("ignores people outside the audience, recording each refusal on the thread, and forged requests", async () => {
      const { threadId, callId } = await launch("move 10");
      const delivered = await driver.delivered(threadId, callId);
      const before = await load(threadId);
      await send(await driver.approve(delivered, driver.stranger));
      // The refused decision is an audit event; the thread still waits on the same call.
      const refusedThread = await load(threadId);
      const audit = refusedThread.events.at(-1);
      assert.equal(refusedThread.version, before.version + 1, "one audit event is appended");
      assert.ok(audit?.type === "custom" && audit.name === "decision_refused", `a decision_refused event, got ${JSON.stringify(audit)}`);
      const data = audit.data as Record<string, unknown>;
      assert.deepEqual([data.actor, data.callId, data.intent, data.action], [driver.actor(driver.stranger), callId, "transfer", "approve"]);
      assert.equal(typeof data.reason, "string");
      assert.deepEqual(refusedThread.pending, before.pending);
      const forged = await send(await driver.forge(await driver.approve(delivered, driver.allowed)));
      assert.equal(forged.status, 401);
      assert.equal((await load(threadId)).status, "awaiting_approval");
      assert.equal(runs.length, 1);
    });
  });
}
