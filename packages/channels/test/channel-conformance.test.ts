/** The channel contract, run for the webhook and Slack channels. */
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { signSlackRequest, slackChannel, webhookChannel } from "../src/index.ts";
import { runChannelConformance } from "../src/testing/index.ts";
import { startSlackStandIn } from "./support/slack-stand-in.ts";
import { waitFor } from "./support/test-agents.ts";

const opsSecret = `whsec_${Buffer.from("ops-secret-for-conformance").toString("base64")}`;
const strangerSecret = `whsec_${Buffer.from("stranger-secret-for-conformance").toString("base64")}`;

function signedHook(name: string, secret: string, payload: object): Request {
  const body = JSON.stringify(payload);
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  const at = new Date();
  return new Request(`http://localhost/v1/hooks/${name}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign(id, at, body),
    },
    body,
  });
}

runChannelConformance({
  name: "webhook",
  newDriver: async () => {
    const bodies: string[] = [];
    const receiver = createHttpServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        bodies.push(body);
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
    const secretOf = (person: string) => (person === "ops" ? opsSecret : strangerSecret);
    return {
      channel: webhookChannel({ hooks: { ops: { secret: opsSecret, url }, stranger: { secret: strangerSecret } } }),
      send: { channel: "webhook", people: ["ops"] },
      allowed: "ops",
      stranger: "stranger",
      delivered: (threadId, callId) =>
        waitFor("the webhook", () =>
          bodies.some((body) => body.includes(callId) && body.includes(threadId)) ? { threadId, callId } : undefined,
        ),
      approve: async (item, person) => signedHook(person, secretOf(person), { ...(item as object), approved: true }),
      reject: async (item, person, reason) =>
        signedHook(person, secretOf(person), { ...(item as object), approved: false, comment: reason }),
      answer: async (item, person, text) => signedHook(person, secretOf(person), { ...(item as object), text }),
      forge: async (request) => {
        const headers = new Headers(request.headers);
        headers.set("webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        return new Request(request.url, { method: "POST", headers, body: await request.text() });
      },
      actor: (person) => `webhook:${person}`,
      close: () => new Promise<void>((resolve) => receiver.close(() => resolve())),
    };
  },
});

runChannelConformance({
  name: "slack",
  newDriver: async () => {
    const standIn = await startSlackStandIn();
    const secret = "conformance-signing-secret";
    const signed = (path: string, body: string, type: string, signingSecret = secret) => {
      const timestamp = Math.floor(Date.now() / 1000);
      return new Request(`http://localhost${path}`, {
        method: "POST",
        headers: {
          "content-type": type,
          "x-slack-request-timestamp": String(timestamp),
          "x-slack-signature": signSlackRequest(signingSecret, timestamp, body),
        },
        body,
      });
    };
    const interaction = (payload: object) =>
      signed(
        "/v1/slack/interactions",
        new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
        "application/x-www-form-urlencoded",
      );
    type Delivered = { threadId: string; callId: string; ts: string; value: string };
    return {
      channel: slackChannel({ token: "xoxb-conformance", signingSecret: secret, apiUrl: standIn.url }),
      send: { channel: "slack", people: ["U_ALLOWED"], target: "C_CONFORMANCE" },
      allowed: "U_ALLOWED",
      stranger: "U_STRANGER",
      delivered: (threadId, callId) =>
        waitFor("the Slack message", () => {
          const call = standIn
            .callsOf("chat.postMessage")
            .findLast((candidate) => JSON.stringify(candidate.args.blocks).includes(threadId));
          if (!call) return undefined;
          const buttons = (call.args.blocks as any[]).flatMap((block) => (block.type === "actions" ? block.elements : []));
          return { threadId, callId, ts: String(call.result.ts), value: buttons[0]?.value ?? "" } satisfies Delivered;
        }),
      approve: async (item, person) => {
        const { ts, value } = item as Delivered;
        return interaction({
          type: "block_actions",
          user: { id: person },
          channel: { id: "C_CONFORMANCE" },
          message: { ts },
          trigger_id: `t-${Math.random()}`,
          actions: [{ action_id: "agentfold_approve", value }],
        });
      },
      reject: async (item, person, reason) => {
        const { ts, value } = item as Delivered;
        const metadata = JSON.stringify({ ...JSON.parse(value), channel: "C_CONFORMANCE", ts });
        return interaction({
          type: "view_submission",
          user: { id: person },
          view: {
            callback_id: "agentfold_reject",
            private_metadata: metadata,
            state: { values: { reason: { reason: { value: reason } } } },
          },
        });
      },
      answer: async (item, person, text) => {
        const { ts } = item as Delivered;
        const body = {
          type: "event_callback",
          event_id: `Ev${Math.random()}`,
          event: { type: "message", channel: "C_CONFORMANCE", user: person, text, ts: `${Date.now() / 1000}`, thread_ts: ts },
        };
        return signed("/v1/slack/events", JSON.stringify(body), "application/json");
      },
      forge: async (request) => {
        const headers = new Headers(request.headers);
        headers.set("x-slack-signature", signSlackRequest("not-the-secret", headers.get("x-slack-request-timestamp")!, "x"));
        return new Request(request.url, { method: "POST", headers, body: await request.text() });
      },
      actor: (person) => `slack:${person}`,
      close: () => standIn.close(),
    };
  },
});
