/** Email end to end: outbound through a real SMTP server (smtp-server), replies posted inbound as raw MIME. */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import { createMemoryStore } from "agentfold/testing";
import { createServer } from "@agentfold/server";
import { createChannels, emailChannel, replyCommand, stripReply, type Channels } from "../src/index.ts";
import { createTestAgents, createTestModel, waitFor, type TestAgents } from "./support/test-agents.ts";

const inboundSecret = "inbound-secret-for-tests";
const received: ParsedMail[] = [];
let smtp: SMTPServer;
let channels: Channels;
let agents: TestAgents;
let app: ReturnType<typeof createServer>["app"];
const store = createMemoryStore();

function mime(headers: Record<string, string>, body: string): string {
  return `${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join("\r\n")}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body.replace(/\n/g, "\r\n")}\r\n`;
}
async function postInbound(raw: string, secret = inboundSecret) {
  const response = await app.request("/v1/email/inbound", {
    method: "POST",
    headers: { "content-type": "message/rfc822", authorization: `Bearer ${secret}` },
    body: raw,
  });
  const body = (await response.json()) as any;
  await channels.idle();
  return { status: response.status, body };
}
async function nextMail(count: number): Promise<ParsedMail> {
  return waitFor(`mail #${count}`, () => received[count - 1]);
}

before(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push(mail);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  const { port } = smtp.server.address() as AddressInfo;
  agents = createTestAgents();
  channels = createChannels({
    channels: [
      emailChannel({
        from: "agents@agents.test",
        transport: { host: "127.0.0.1", port, secure: false, ignoreTLS: true },
        inboundSecret,
        addresses: { "asker@agents.test": "asker", "calculator@agents.test": "calculator" },
        starters: ["alex@example.com"],
      }),
    ],
    routing: [{ when: { agent: "calculator" }, send: [{ channel: "email", people: ["alex@example.com"] }] }],
    sweepIntervalMs: 0,
    onError: (error, where) => console.error(where, error),
  });
  ({ app } = createServer({
    store,
    agents: [agents.calculator, agents.asker],
    model: createTestModel(),
    apiKeys: false,
    extensions: [channels],
  }));
});
after(async () => {
  await channels.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

describe("email replies", () => {
  it("strips quoted history and signatures, and reads commands", () => {
    assert.equal(stripReply("Approve\n\nOn Mon, 1 Dec 2026 at 10:00, Bot <b@x> wrote:\n> approve?\n"), "Approve");
    assert.equal(stripReply("yes please\n-- \nAlex\nCTO"), "yes please");
    assert.equal(stripReply("no\n\n-----Original Message-----\nFrom: bot"), "no");
    assert.equal(stripReply("sure\n\nSent from my phone"), "sure");
    assert.deepEqual(replyCommand("approve"), { type: "approve" });
    assert.deepEqual(replyCommand("Yes."), { type: "approve" });
    assert.deepEqual(replyCommand("reject: not on a Friday"), { type: "reject", reason: "not on a Friday" });
    assert.deepEqual(replyCommand("the numbers look odd"), { type: "text", text: "the numbers look odd" });
  });
});

describe("email approvals", () => {
  it("the approval mail arrives threaded; an unknown sender changes nothing; the right reply approves", async () => {
    const launched = await app.request("/v1/threads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent: "calculator", message: "divide" }),
    });
    const thread = (await launched.json()) as { id: string; status: string };
    assert.equal(thread.status, "awaiting_approval");
    await channels.idle();
    const mail = await nextMail(1);
    assert.equal(mail.to && !Array.isArray(mail.to) && mail.to.value[0]?.address, "alex@example.com");
    assert.equal(mail.from?.value[0]?.address, "agents@agents.test");
    assert.match(mail.subject ?? "", /Approval needed: divide/);
    assert.match(mail.messageId ?? "", /^<.+@agents\.test>$/);
    assert.match(mail.text ?? "", /Reply "approve"/);
    assert.match(mail.text ?? "", /"a": 3/);

    const reply = (from: string, id: string, body: string) =>
      mime(
        {
          From: from,
          To: "agents@agents.test",
          Subject: `Re: ${mail.subject}`,
          "Message-ID": id,
          "In-Reply-To": mail.messageId!,
          References: mail.messageId!,
        },
        body,
      );

    const unauthorized = await postInbound(reply("Alex <alex@example.com>", "<r0@example.com>", "approve"), "wrong-secret");
    assert.equal(unauthorized.status, 401);
    const stranger = await postInbound(reply("Mallory <mallory@evil.test>", "<r1@evil.test>", "approve"));
    assert.equal(stranger.body.status, "ignored");
    const refused = (await store.load(thread.id))!;
    assert.equal(refused.status, "awaiting_approval");
    // The refusal is recorded on the thread as an audit event, nothing else changes.
    const audit = refused.events.at(-1);
    assert.ok(audit?.type === "custom" && audit.name === "decision_refused", `a decision_refused event, got ${JSON.stringify(audit)}`);
    assert.deepEqual(
      { ...(audit.data as Record<string, unknown>), reason: undefined },
      {
        actor: "email:mallory@evil.test",
        callId: refused.pending[0]!.callId,
        intent: "divide",
        action: "approve",
        source: "email",
        reason: undefined,
      },
    );

    const approved = await postInbound(
      reply("Alex <ALEX@example.com>", "<r2@example.com>", "Approve\n\nOn Tue, agents@agents.test wrote:\n> reject?\n"),
    );
    assert.equal(approved.body.status, "applied");
    const after = (await store.load(thread.id))!;
    assert.equal(after.status, "done");
    const decision = after.events.find((event) => event.type === "approval_decision");
    assert.ok(decision?.type === "approval_decision" && decision.approved && decision.actor === "email:alex@example.com");
    assert.equal(agents.divideRuns.length, 1);

    // The same mail delivered twice by the relay: no second effect.
    const again = await postInbound(reply("Alex <alex@example.com>", "<r2@example.com>", "approve"));
    assert.equal(again.body.status, "duplicate");
    assert.equal(agents.divideRuns.length, 1);
  });

  it("a rejection by mail carries its reason", async () => {
    const launched = await app.request("/v1/threads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent: "calculator", message: "divide" }),
    });
    const thread = (await launched.json()) as { id: string };
    await channels.idle();
    const mail = await nextMail(2);
    await postInbound(
      mime(
        {
          From: "alex@example.com",
          To: "agents@agents.test",
          Subject: "Re: x",
          "Message-ID": "<r3@example.com>",
          "In-Reply-To": mail.messageId!,
        },
        "reject: not on a Friday\n-- \nAlex",
      ),
    );
    const decision = (await store.load(thread.id))!.events.find((event) => event.type === "approval_decision");
    assert.ok(decision?.type === "approval_decision" && !decision.approved && decision.comment === "not on a Friday");
  });
});

describe("email threads", () => {
  it("a new mail starts a thread; its question and final answer reply in the same mail thread", async () => {
    const started = await postInbound(
      mime(
        { From: "Alex <alex@example.com>", To: "asker@agents.test", Subject: "Friday release", "Message-ID": "<start-1@example.com>" },
        "Can we ship?",
      ),
    );
    assert.equal(started.status, 201);
    const threadId = started.body.threadId as string;
    const question = await nextMail(3);
    assert.equal(question.inReplyTo, "<start-1@example.com>");
    assert.match(question.subject ?? "", /^Re: Friday release/);
    assert.match(question.text ?? "", /Ship it on Friday\?/);
    await postInbound(
      mime(
        {
          From: "alex@example.com",
          To: "asker@agents.test",
          Subject: "Re: Friday release",
          "Message-ID": "<a-1@example.com>",
          "In-Reply-To": question.messageId!,
          References: `<start-1@example.com> ${question.messageId}`,
        },
        "yes\n\n> Ship it on Friday?",
      ),
    );
    const thread = (await store.load(threadId))!;
    assert.equal(thread.status, "done");
    assert.ok(thread.events.some((event) => event.type === "human_response" && event.text === "yes"));
    const final = await nextMail(4);
    assert.equal(final.inReplyTo, "<start-1@example.com>");
    assert.match(final.text ?? "", /finished/);
  });

  it("mail from someone who may not start threads is ignored", async () => {
    const before = (await store.list({})).threads.length;
    const result = await postInbound(
      mime({ From: "mallory@evil.test", To: "asker@agents.test", Subject: "hi", "Message-ID": "<m-1@evil.test>" }, "do things"),
    );
    assert.equal(result.body.status, "ignored");
    assert.equal((await store.list({})).threads.length, before);
  });
});
