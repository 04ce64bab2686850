/**
 * Inbound mail in detail, against the channel alone (a stand-in hub context): relay retries after a
 * transient refusal, References on replies, mail without a Message-ID, and Authentication-Results.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Thread } from "agentfold";
import {
  createMemoryChannelStore,
  emailChannel,
  type ActionOutcome,
  type ChannelContext,
  type EmailChannelOptions,
  type InboundAction,
  type Origin,
} from "../src/index.ts";

const secret = "relay-secret-for-tests";

/** The channel with a hub stand-in whose `apply` answers from `outcomes` in turn (then ok). */
function setup(options: Partial<EmailChannelOptions> = {}, outcomes: ActionOutcome[] = []) {
  const sent: Record<string, any>[] = [];
  const applied: InboundAction[] = [];
  const store = createMemoryChannelStore();
  const origins = new Map<string, Origin>();
  const email = emailChannel({
    from: "bot@agents.test",
    transport: {
      sendMail: async (mail: Record<string, any>) => {
        sent.push(mail);
        return {};
      },
    } as never,
    inboundSecret: secret,
    starters: "anyone",
    ...options,
  });
  const context: ChannelContext = {
    store,
    agents: new Map([["asker", {} as never]]),
    async apply(action) {
      applied.push(action);
      const outcome = outcomes.shift() ?? { ok: true, thread: { id: `thr_${applied.length}` } as Thread };
      if (outcome.ok && action.type === "start" && action.origin) origins.set(outcome.thread.id, action.origin);
      return outcome;
    },
    audienceFor: async () => undefined,
    refuseDecision: async () => {},
    originOf: async (threadId) => origins.get(threadId),
    background: () => {},
    reportError: () => {},
  };
  const post = async (raw: string) => {
    const response = await email.receive!(
      new Request("http://localhost/v1/email/inbound", { method: "POST", headers: { authorization: `Bearer ${secret}` }, body: raw }),
      {},
      context,
    );
    return { status: response.status, body: (await response.json()) as any };
  };
  return { email, context, post, sent, applied, origins };
}

const mail = (headers: Record<string, string>, body = "please deploy v2") =>
  `${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join("\r\n")}\r\nContent-Type: text/plain\r\n\r\n${body}\r\n`;
const startMail = (extra: Record<string, string> = {}) =>
  mail({ From: "alex@example.com", To: "bot@agents.test", Subject: "deploy", "Message-ID": "<m1@example.com>", ...extra });

describe("inbound email: relay retries", () => {
  for (const [code, status] of [
    ["thread_busy", 409],
    ["internal", 500],
  ] as const) {
    it(`refusal "${code}" is an error body, and the relay's retry is applied, not taken for a duplicate`, async () => {
      const { post, applied } = setup({}, [{ ok: false, code, message: "try again" }]);
      const first = await post(startMail());
      assert.equal(first.status, status);
      assert.deepEqual(first.body, { error: { code, message: "try again" } });
      const retry = await post(startMail());
      assert.equal(retry.status, 201);
      assert.equal(retry.body.status, "started");
      assert.equal(applied.length, 2);
      assert.equal((await post(startMail())).body.status, "duplicate", "once applied, the same mail counts once");
    });
  }

  it("a lasting refusal keeps the mail seen: the retry changes nothing", async () => {
    const { post, applied } = setup({}, [{ ok: false, code: "conflict", message: "already decided" }]);
    const first = await post(startMail());
    assert.equal(first.status, 409);
    assert.deepEqual(first.body, { error: { code: "conflict", message: "already decided" } });
    assert.equal((await post(startMail())).body.status, "duplicate");
    assert.equal(applied.length, 1);
  });

  it("a failure while handling releases the mail for the retry", async () => {
    const { post, context } = setup();
    const apply = context.apply;
    let calls = 0;
    (context as { apply: ChannelContext["apply"] }).apply = async (action) => {
      if (++calls === 1) throw new Error("store down");
      return apply(action);
    };
    await assert.rejects(post(startMail()), /store down/);
    assert.equal((await post(startMail())).status, 201);
  });
});

describe("inbound email: threading headers", () => {
  it("our reply's References are the mail's References in order, then its Message-ID, once each", async () => {
    const { post, email, context, sent, origins } = setup();
    const started = await post(
      mail({
        From: "alex@example.com",
        To: "bot@agents.test",
        Subject: "Re: outage",
        "Message-ID": "<m3@x>",
        "In-Reply-To": "<m2@x>",
        References: "<m1@x> <m2@x>",
      }),
    );
    assert.equal(started.status, 201);
    const origin = origins.get(started.body.threadId)!;
    const thread = { id: started.body.threadId, events: [{ type: "done", message: "fixed" }] } as unknown as Thread;
    await email.finished!(thread, origin, context);
    await email.finished!(thread, origin, context);
    assert.deepEqual(sent[0]!.references, ["<m1@x>", "<m2@x>", "<m3@x>"]);
    assert.deepEqual(sent[1]!.references, ["<m1@x>", "<m2@x>", "<m3@x>"], "the stored origin is not changed by sending");
    assert.equal(sent[0]!.inReplyTo, "<m3@x>");
  });

  it("without References, In-Reply-To is the parent", async () => {
    const { post, email, context, sent, origins } = setup();
    const started = await post(
      mail({ From: "alex@example.com", To: "bot@agents.test", Subject: "Re: x", "Message-ID": "<b@x>", "In-Reply-To": "<a@x>" }),
    );
    await email.finished!(
      { id: started.body.threadId, events: [{ type: "done", message: "ok" }] } as unknown as Thread,
      origins.get(started.body.threadId),
      context,
    );
    assert.deepEqual(sent[0]!.references, ["<a@x>", "<b@x>"]);
  });

  it("a mail without a Message-ID posted twice counts once; a different one counts", async () => {
    const { post, applied } = setup();
    const raw = mail({ From: "alex@example.com", To: "bot@agents.test", Subject: "no id" });
    assert.equal((await post(raw)).status, 201);
    assert.equal((await post(raw)).body.status, "duplicate");
    assert.equal((await post(raw.replace("please deploy v2", "please deploy v3"))).status, 201);
    assert.equal(applied.length, 2);
  });
});

describe("inbound email: Authentication-Results", () => {
  const required = { requireAuthenticationResults: { authservId: "mx.agents.test" } };
  const cases: [string, string[], "started" | "ignored"][] = [
    ["no header", [], "ignored"],
    ["dmarc=pass from an untrusted server (the sender can write any header)", ["evil.test; dmarc=pass header.from=example.com"], "ignored"],
    ["dmarc=fail from the trusted server", ["mx.agents.test; dmarc=fail (p=reject) header.from=example.com"], "ignored"],
    ["dmarc=pass for another domain", ["mx.agents.test; dmarc=pass header.from=evil.test"], "ignored"],
    [
      "a forged trusted header below the real one",
      ["mx.agents.test; dmarc=fail header.from=example.com", "mx.agents.test; dmarc=pass header.from=example.com"],
      "ignored",
    ],
    ["dkim=pass for a bare top-level domain", ["mx.agents.test; dkim=pass header.d=com"], "ignored"],
    [
      "dmarc=pass from the trusted server",
      ["mx.agents.test;\r\n  spf=fail smtp.mailfrom=example.com;\r\n  dmarc=pass (p=REJECT sp=REJECT) header.from=Example.com"],
      "started",
    ],
    ["aligned dkim=pass", ["MX.agents.test 1; dkim=pass (2048-bit key) header.d=example.com header.s=s1; dmarc=none"], "started"],
  ];
  for (const [name, headers, expected] of cases) {
    it(`${name}: ${expected}`, async () => {
      const { post, applied } = setup(required);
      const raw = headers.map((value) => `Authentication-Results: ${value}\r\n`).join("") + startMail();
      const result = await post(raw);
      assert.equal(result.body.status, expected, JSON.stringify(result.body));
      assert.equal(applied.length, expected === "started" ? 1 : 0);
      if (expected === "ignored") assert.match(result.body.reason, /not proven/);
    });
  }

  it("dkim alone can be required", async () => {
    const { post } = setup({ requireAuthenticationResults: { authservId: ["mx.agents.test"], methods: ["dkim"] } });
    const dmarcOnly = `Authentication-Results: mx.agents.test; dmarc=pass header.from=example.com\r\n${startMail()}`;
    assert.equal((await post(dmarcOnly)).body.status, "ignored");
  });

  it("without the setting, the From header and the relay's secret are enough", async () => {
    const { post } = setup();
    assert.equal((await post(startMail())).body.status, "started");
  });
});

describe("inbound email: the relay's secret", () => {
  it("is accepted only in the Authorization header: in the query string it is a 401 that says to use the header", async () => {
    const { email, context, applied } = setup();
    const receive = (url: string, headers: Record<string, string> = {}) =>
      email.receive!(new Request(url, { method: "POST", headers, body: startMail() }), {}, context);
    const queried = await receive(`http://localhost/v1/email/inbound?secret=${secret}`);
    assert.equal(queried.status, 401);
    const body = (await queried.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "unauthorized");
    assert.match(body.error.message, /not accepted in the query string.*Authorization: Bearer <secret>/);
    // Also with the right header: the secret must come out of the URL, where logs keep it.
    assert.equal((await receive(`http://localhost/v1/email/inbound?secret=${secret}`, { authorization: `Bearer ${secret}` })).status, 401);
    assert.equal(applied.length, 0);
    assert.ok((await receive("http://localhost/v1/email/inbound", { authorization: `Bearer ${secret}` })).ok);
    assert.equal(applied.length, 1);
  });
});
