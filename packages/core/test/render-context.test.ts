import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { Thread, countTokens, defineAgent, defineTool, doneForNow, xmlContext, type Event } from "agentfold";

const login = defineTool({
  intent: "login",
  description: "log in",
  args: z.object({ user: z.string(), password: z.string() }),
  run: () => ({ token: "secret-token", ok: true }),
});

function sampleThread(): Thread {
  return Thread.start("log me in").append([
    { type: "model_decision", calls: [{ callId: "c1", intent: "login", args: { user: "alex", password: "hunter2" } }] },
    { type: "tool_started", callId: "c1", intent: "login", args: { user: "alex", password: "hunter2" }, idempotencyKey: "k" },
    { type: "error", source: "tool", callId: "c1", intent: "login", message: "timeout" },
    { type: "model_decision", calls: [{ callId: "c2", intent: "login", args: { user: "alex", password: "hunter2" } }] },
    { type: "tool_result", callId: "c2", intent: "login", result: { token: "secret-token", ok: true } },
    { type: "custom", name: "audit", data: { by: "ops" } },
  ]);
}

describe("xmlContext", () => {
  it("writes one tagged YAML block per visible event, hiding resolved errors", () => {
    const { text } = xmlContext({ redactSecrets: false }).render(sampleThread());
    assert.equal(
      text,
      [
        "<user_input>\nlog me in\n</user_input>",
        "<login>\nuser: alex\npassword: hunter2\n</login>",
        "<login>\nuser: alex\npassword: hunter2\n</login>",
        "<login_result>\ntoken: secret-token\nok: true\n</login_result>",
        "<audit>\nby: ops\n</audit>",
        "",
      ].join("\n"),
    );
  });

  it("masks secret-looking keys by default, and keeps them in the stored thread", () => {
    const thread = sampleThread();
    const { text } = xmlContext().render(thread);
    assert.equal(
      text,
      [
        "<user_input>\nlog me in\n</user_input>",
        '<login>\nuser: alex\npassword: "[redacted]"\n</login>',
        '<login>\nuser: alex\npassword: "[redacted]"\n</login>',
        '<login_result>\ntoken: "[redacted]"\nok: true\n</login_result>',
        "<audit>\nby: ops\n</audit>",
        "",
      ].join("\n"),
    );
    assert.deepEqual(
      thread.events.find((event) => event.type === "tool_result"),
      {
        ...thread.events.find((event) => event.type === "tool_result"),
        result: { token: "secret-token", ok: true },
      },
    );
  });

  it("masks credentials by their shape in tool results, errors and people's text", () => {
    const key = `sk-proj-${"a1B2c3D4e5".repeat(4)}`;
    const thread = Thread.start(`use my key ${key} please`).append([
      { type: "model_decision", calls: [{ callId: "c1", intent: "fetch_page", args: { url: "https://example.com" } }] },
      {
        type: "tool_result",
        callId: "c1",
        intent: "fetch_page",
        result: "curl -H 'Authorization: Bearer abcdefghijklmnop0123' postgres://app:s3cret@db:5432/x",
      },
      { type: "error", source: "tool", callId: "c1", intent: "fetch_page", message: `401 for key ${key}` },
    ]);
    const { text } = xmlContext({ hideResolvedErrors: false }).render(thread);
    assert.ok(!text.includes(key) && !text.includes("abcdefghijklmnop0123") && !text.includes("s3cret"), text);
    assert.match(text, /use my key \[redacted\] please/);
    assert.match(text, /Bearer \[redacted\]/);
    assert.match(text, /postgres:\/\/app:\[redacted\]@db:5432\/x/);
    assert.match(text, /401 for key \[redacted\]/);
    assert.ok(xmlContext({ redactSecrets: false, hideResolvedErrors: false }).render(thread).text.includes(key));
  });

  it("shows unresolved errors, and resolved ones when asked", () => {
    const unresolved = Thread.start("x").append([{ type: "error", source: "model_output", message: "The reply was not JSON." }]);
    assert.match(xmlContext().render(unresolved).text, /<error>\nmessage: The reply was not JSON.\n<\/error>/);
    assert.match(xmlContext({ hideResolvedErrors: false }).render(sampleThread()).text, /message: timeout/);
  });

  it("redacts by block and path, with * for any block", () => {
    const text = xmlContext({ redact: ["login.password", "*.token"] }).render(sampleThread()).text;
    assert.doesNotMatch(text, /hunter2|secret-token/);
    assert.match(text, /password: "\[redacted\]"/);
    assert.match(text, /token: "\[redacted\]"/);
  });

  it("takes per-event-type and per-custom-name overrides; null hides", () => {
    const context = xmlContext({
      renderers: {
        user_input: (event) => `<message>${event.text}</message>`,
        tool_result: () => null,
        "custom:audit": (event) => `<audited by="${(event.data as { by: string }).by}"/>`,
      },
    });
    const { text } = context.render(sampleThread());
    assert.match(text, /^<message>log me in<\/message>\n/);
    assert.doesNotMatch(text, /login_result/);
    assert.match(text, /<audited by="ops"\/>\n$/);
  });

  it("counts tokens per event so the sum equals a count of the whole text", () => {
    const context = xmlContext();
    const thread = sampleThread();
    const rendered = context.render(thread);
    assert.equal(rendered.tokens, countTokens(rendered.text));
    const longer = thread.append([{ type: "user_input", text: "and now something with ünïcödé, emoji 🚀 and numbers 12345.678" }]);
    const again = context.render(longer);
    assert.equal(again.tokens, countTokens(again.text));
  });

  it("renders the exact prompt and its token count without a model", () => {
    const agent = defineAgent({ name: "a", tools: [login, doneForNow()] });
    const rendered = agent.render(sampleThread());
    assert.equal(rendered.messages.length, 2);
    assert.ok(rendered.messages[1]!.content.includes(rendered.context));
    assert.equal(
      rendered.tokens,
      rendered.messages.reduce((sum, message) => sum + countTokens(message.content), 0),
    );
  });

  it("caches per event: an unchanged event renders once", () => {
    let calls = 0;
    const context = xmlContext({
      renderers: {
        custom: (event: Extract<Event, { type: "custom" }>) => {
          calls++;
          return `<${event.name}/>`;
        },
      },
    });
    const thread = sampleThread();
    context.render(thread);
    context.render(thread.append([{ type: "user_input", text: "more" }]));
    assert.equal(calls, 1);
  });
});
