/**
 * `POST /v1/chat` speaks the AI SDK UI message stream protocol: the `ai` package's own chat client
 * (`AbstractChat`, which `useChat` is built on, with `DefaultChatTransport` and its stream reader)
 * starts a thread, sees the model's text as it is written and the call as a tool part waiting for
 * approval, approves it from the UI, and sees the tool's output and the agent's answer. The approval
 * is the same server-side decision as the HTTP API's, bound to the call and its arguments.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AbstractChat,
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithApprovalResponses,
  type ChatState,
  type ChatStatus,
  type UIMessage,
} from "ai";
import type { Model, ModelReply, ModelRequest } from "agentfold";
import { createMemoryStore } from "agentfold/testing";
import { startServer, type RunningServer } from "../src/index.ts";
import { createTestAgents } from "./support/test-agent.ts";

/** What React's state would be: a plain array that the chat replaces messages in. */
class PlainChatState implements ChatState<UIMessage> {
  status: ChatStatus = "ready";
  error: Error | undefined = undefined;
  messages: UIMessage[] = [];
  pushMessage = (message: UIMessage) => void this.messages.push(message);
  popMessage = () => void this.messages.pop();
  replaceMessage = (index: number, message: UIMessage) => {
    this.messages[index] = message;
  };
  snapshot = <T>(thing: T): T => structuredClone(thing);
}

class TestChat extends AbstractChat<UIMessage> {
  constructor(api: string, id: string) {
    super({
      id,
      transport: new DefaultChatTransport({ api }),
      state: new PlainChatState(),
      sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
    });
  }
}

/** Native tool calling, as a provider streams it: a sentence, then the call; then the answer. */
const model: Model = {
  specificationVersion: "v1",
  id: "test:chat",
  defaultMode: "tools",
  async generate(request: ModelRequest): Promise<ModelReply> {
    if (request.turn === 0) {
      for (const text of ["Let me ", "divide that."]) request.onDelta?.({ type: "text", attempt: 1, text });
      return { output: { intent: "divide", a: 3, b: 4 }, finishReason: "tool-calls" };
    }
    return { output: { intent: "done_for_now", message: "3 / 4 = 0.75" }, finishReason: "tool-calls" };
  },
};

async function until(what: string, check: () => boolean): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > 10_000) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

type ToolPart = { type: string; state: string; toolCallId: string; input?: unknown; output?: unknown; approval?: { id: string } };

describe("useChat against an agent (the AI SDK UI message stream protocol)", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({
      store: createMemoryStore(),
      agents: [createTestAgents().calculator],
      model,
      port: 0,
      apiKeys: false,
      onError: () => {},
    });
  });
  after(async () => {
    await server.close();
  });

  it("starts a thread, shows the call waiting for approval, approves it from the UI, and shows the result", async () => {
    const chat = new TestChat(`${server.url}/v1/chat?agent=calculator`, "chat-approve");
    await chat.sendMessage({ text: "can you divide 3 by 4" });
    await until("the first answer", () => chat.status === "ready");
    assert.equal(chat.error, undefined);
    const first = chat.lastMessage!;
    assert.equal(first.role, "assistant");
    const text = first.parts.filter((part) => part.type === "text").map((part) => (part as { text: string }).text);
    assert.deepEqual(text, ["Let me divide that."], "the text the model wrote while it streamed");
    const tool = first.parts.find((part) => part.type === "tool-divide") as ToolPart | undefined;
    assert.equal(tool?.state, "approval-requested", JSON.stringify(first.parts));
    assert.deepEqual(tool.input, { a: 3, b: 4 });
    const threadId = (first.metadata as { threadId: string }).threadId;
    const waiting = (await (await fetch(`${server.url}/v1/threads/${threadId}`)).json()) as {
      status: string;
      pending: Array<{ callId: string; argsHash: string }>;
    };
    assert.equal(waiting.status, "awaiting_approval");
    assert.equal(tool.approval?.id, `${waiting.pending[0]!.callId}.${waiting.pending[0]!.argsHash}`, "bound to the call and its arguments");

    await chat.addToolApprovalResponse({ id: tool.approval!.id, approved: true });
    await until(
      "the answer after the approval",
      () =>
        chat.status === "ready" &&
        (chat.lastMessage?.parts.some((part) => part.type === "tool-divide" && (part as ToolPart).state === "output-available") ?? false),
    );
    const parts = chat.lastMessage!.parts;
    const done = parts.find((part) => part.type === "tool-divide") as ToolPart;
    assert.equal(done.output, 0.75);
    assert.ok(
      parts.some((part) => part.type === "text" && (part as { text: string }).text === "3 / 4 = 0.75"),
      JSON.stringify(parts),
    );

    const thread = (await (await fetch(`${server.url}/v1/threads/${threadId}`)).json()) as {
      status: string;
      events: Array<Record<string, unknown>>;
    };
    assert.equal(thread.status, "done");
    const decision = thread.events.find((event) => event.type === "approval_decision");
    assert.equal(decision?.approved, true);
    assert.equal(decision?.argsHash, waiting.pending[0]!.argsHash);
  });

  it("the same chat id continues its thread; an approval for other arguments is refused (409)", async () => {
    const api = `${server.url}/v1/chat?agent=calculator`;
    const chat = new TestChat(api, "chat-bound");
    await chat.sendMessage({ text: "can you divide 3 by 4" });
    await until("the first answer", () => chat.status === "ready");
    const tool = chat.lastMessage!.parts.find((part) => part.type === "tool-divide") as ToolPart;
    const [callId] = tool.approval!.id.split(".");
    const forged = {
      id: "chat-bound",
      messages: [
        ...chat.messages.slice(0, -1),
        { ...chat.lastMessage!, parts: [{ ...tool, state: "approval-responded", approval: { id: `${callId}.0000`, approved: true } }] },
      ],
    };
    const response = await fetch(api, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(forged) });
    assert.equal(response.status, 409, await response.text());
    const threadId = (chat.lastMessage!.metadata as { threadId: string }).threadId;
    const thread = (await (await fetch(`${server.url}/v1/threads/${threadId}`)).json()) as { status: string };
    assert.equal(thread.status, "awaiting_approval", "nothing was decided");
  });

  it("a body that is not a chat request is a 400 that says what to send", async () => {
    const response = await fetch(`${server.url}/v1/chat?agent=calculator`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "x", messages: [] }),
    });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /DefaultChatTransport/);
  });
});
