/**
 * A loopback server that speaks the OpenAI Chat Completions API just enough for cassette tests. It
 * answers with `answer(userText, count)`: the text of the last user message and how many requests
 * came before, so a test can make a "model" whose answers vary from call to call.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeChatServer {
  /** Base URL ending in `/v1`. */
  url: string;
  /** How many chat requests were answered. */
  readonly count: number;
  close(): Promise<void>;
}

/** The next step a fake model sends, as the JSON text of a reply. */
export type Answer = (userText: string, count: number) => Record<string, unknown>;

function completion(text: string): unknown {
  return {
    id: "chatcmpl-fake",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "fake-model",
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: text } }],
    usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
  };
}

/**
 * The same reply as a `stream: true` request gets it: `data:` lines of `chat.completion.chunk`s (the
 * text, then the finish reason, then the usage), then `data: [DONE]`.
 */
function completionStream(text: string): string {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1_700_000_000, model: "fake-model", choices, ...extra })}\n\n`;
  return [
    chunk([{ index: 0, delta: { role: "assistant", content: text }, finish_reason: null }]),
    chunk([{ index: 0, delta: {}, finish_reason: "stop" }]),
    chunk([], { usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 } }),
    "data: [DONE]\n\n",
  ].join("");
}

/**
 * Starts the server on 127.0.0.1 with a random port.
 *
 * @example
 * const server = await startFakeChatServer(() => ({ intent: "done_for_now", message: "hi" }));
 * const spec = `openai-compatible:${server.url}#fake-model`;
 */
export async function startFakeChatServer(answer: Answer): Promise<FakeChatServer> {
  let count = 0;
  const server: Server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as {
        messages?: Array<{ role: string; content: unknown }>;
        stream?: boolean;
      };
      const user = [...(body.messages ?? [])].reverse().find((message) => message.role === "user");
      const text = typeof user?.content === "string" ? user.content : JSON.stringify(user?.content ?? "");
      const reply = answer(text, count);
      count += 1;
      if (body.stream) {
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.end(completionStream(JSON.stringify(reply)));
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(completion(JSON.stringify(reply))));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get count() {
      return count;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
