/**
 * A loopback HTTP server that speaks just enough of the OpenAI Chat Completions and Anthropic
 * Messages APIs, and of Ollama's native `/api/chat` and `/api/show`, for wire-level tests. Replies are queued per test; with an empty queue it answers the
 * request sensibly (a tool call in tools mode, JSON text otherwise), which the conformance suite uses.
 * A request with `stream: true` gets the same reply in the API's streaming wire format
 * (provider-streams.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { anthropicStreamFrames, ollamaStreamLines, openaiStreamFrames } from "./provider-streams.ts";

export interface QueuedReply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Never answer (until the client gives up). */
  hang?: boolean;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Streamed replies: characters of text or arguments per frame. Default 8. */
  pieceSize?: number;
  /** Streamed replies: wait this long before each frame after the first. */
  frameDelayMs?: number;
  /** Streamed replies: send this many frames, then nothing more (the connection stays open). */
  stallAfterFrames?: number;
  /** Streamed replies: these SSE frames instead of ones made from `body`. */
  frames?: string[];
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
}

export interface FakeProviderServer {
  /** Base URL ending in `/v1`. */
  url: string;
  requests: SeenRequest[];
  queue: QueuedReply[];
  reply(...replies: QueuedReply[]): void;
  /** What `/api/show` answers as `model_info` (Ollama); undefined answers 404. */
  modelInfo: Record<string, unknown> | undefined;
  reset(): void;
  close(): Promise<void>;
}

const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };

/** An OpenAI chat completion whose message has tool calls. `args` is sent as given when a string. */
export function openaiToolCalls(calls: Array<{ name: string; args: unknown }>): unknown {
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "gpt-test",
    choices: [
      {
        index: 0,
        finish_reason: "tool_calls",
        message: {
          role: "assistant",
          content: null,
          tool_calls: calls.map((call, index) => ({
            id: `call_${index}`,
            type: "function",
            function: { name: call.name, arguments: typeof call.args === "string" ? call.args : JSON.stringify(call.args) },
          })),
        },
      },
    ],
    usage,
  };
}

/** An OpenAI chat completion with plain text content. */
export function openaiText(text: string): unknown {
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "gpt-test",
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: text } }],
    usage,
  };
}

/** An Anthropic message with tool_use blocks. */
export function anthropicToolUse(calls: Array<{ name: string; input: unknown }>): unknown {
  return {
    id: "msg_test",
    type: "message",
    role: "assistant",
    model: "claude-test",
    content: calls.map((call, index) => ({ type: "tool_use", id: `toolu_${index}`, name: call.name, input: call.input })),
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: { input_tokens: 13, output_tokens: 5 },
  };
}

/** An Anthropic message with one text block. */
export function anthropicText(text: string): unknown {
  return {
    id: "msg_test",
    type: "message",
    role: "assistant",
    model: "claude-test",
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 13, output_tokens: 5 },
  };
}

/** An Ollama chat reply (`stream: false`) whose message has tool calls, arguments as objects. */
export function ollamaToolCalls(calls: Array<{ name: string; args: unknown }>): unknown {
  return ollamaReply(
    "",
    calls.map((call) => ({ function: { name: call.name, arguments: call.args } })),
  );
}

/** An Ollama chat reply with plain text content. `doneReason` is Ollama's (`stop`, `length`). */
export function ollamaText(text: string, doneReason = "stop"): unknown {
  return ollamaReply(text, undefined, doneReason);
}

function ollamaReply(content: string, toolCalls: unknown[] | undefined, doneReason = "stop"): unknown {
  return {
    model: "llama-test",
    created_at: "2026-11-30T12:00:00.000000Z",
    message: { role: "assistant", content, ...(toolCalls ? { tool_calls: toolCalls } : {}) },
    done: true,
    done_reason: doneReason,
    total_duration: 5_000_000,
    load_duration: 1_000_000,
    prompt_eval_count: 21,
    prompt_eval_duration: 2_000_000,
    eval_count: 9,
    eval_duration: 2_000_000,
  };
}

const doneStep = { intent: "done_for_now", message: "all done" };

function automaticReply(request: SeenRequest): QueuedReply {
  const tools = request.body.tools as Array<Record<string, unknown>> | undefined;
  const anthropic = request.path.endsWith("/messages");
  if (request.path === "/api/chat") {
    const tool = (tools?.[0]?.function as { name?: string } | undefined)?.name;
    const wrapped = JSON.stringify(request.body).includes('"next_step"');
    return {
      body: tool
        ? ollamaToolCalls([{ name: tool, args: { message: "all done" } }])
        : ollamaText(JSON.stringify(wrapped ? { next_step: doneStep } : doneStep)),
    };
  }
  const wantsWrapper = JSON.stringify(request.body).includes('"next_step"');
  const text = JSON.stringify(wantsWrapper ? { next_step: doneStep } : doneStep);
  if (anthropic) {
    const toolName = tools?.[0]?.name;
    return {
      body:
        typeof toolName === "string" && toolName !== "json"
          ? anthropicToolUse([{ name: toolName, input: { message: "all done" } }])
          : anthropicText(text),
    };
  }
  const functionName = (tools?.[0]?.function as { name?: string } | undefined)?.name;
  return { body: functionName ? openaiToolCalls([{ name: functionName, args: { message: "all done" } }]) : openaiText(text) };
}

/**
 * Starts the fake server on 127.0.0.1 with a random port.
 *
 * @example
 * const server = await startFakeProviderServer();
 * server.reply({ status: 429, headers: { "retry-after": "0" }, body: { error: { message: "slow down" } } });
 */
export async function startFakeProviderServer(): Promise<FakeProviderServer> {
  const requests: SeenRequest[] = [];
  const queue: QueuedReply[] = [];
  const hanging = new Set<ServerResponse>();
  const state: { modelInfo: Record<string, unknown> | undefined } = { modelInfo: undefined };
  const server: Server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const seen: SeenRequest = {
        method: incoming.method ?? "GET",
        path: incoming.url ?? "/",
        headers: incoming.headers,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      };
      requests.push(seen);
      if (seen.path === "/api/show") {
        response.writeHead(state.modelInfo ? 200 : 404, { "content-type": "application/json" });
        response.end(
          JSON.stringify(state.modelInfo ? { model_info: state.modelInfo } : { error: `model '${String(seen.body.model)}' not found` }),
        );
        return;
      }
      const reply = queue.shift() ?? automaticReply(seen);
      const hang = () => {
        hanging.add(response);
        response.on("close", () => hanging.delete(response));
      };
      if (reply.hang) return hang();
      const answer = () => {
        const status = reply.status ?? 200;
        const ollama = seen.path === "/api/chat";
        // Ollama streams unless told not to; the others only when asked.
        const streams = ollama ? seen.body.stream !== false : seen.body.stream === true;
        if (!streams || status !== 200) {
          response.writeHead(status, { "content-type": "application/json", ...reply.headers });
          response.end(JSON.stringify(reply.body ?? {}));
          return;
        }
        const anthropic = seen.path.endsWith("/messages");
        const body = (reply.body ?? {}) as Record<string, unknown>;
        const framesOf = ollama ? ollamaStreamLines : anthropic ? anthropicStreamFrames : openaiStreamFrames;
        const frames = reply.frames ?? framesOf(body, reply.pieceSize ?? 8);
        const contentType = ollama ? "application/x-ndjson" : "text/event-stream";
        response.writeHead(200, { "content-type": contentType, "cache-control": "no-cache", ...reply.headers });
        if (reply.stallAfterFrames !== undefined) {
          for (const frame of frames.slice(0, reply.stallAfterFrames)) response.write(frame);
          return hang();
        }
        if (!reply.frameDelayMs) return void response.end(frames.join(""));
        hang();
        const writeFrom = (index: number) => {
          if (response.destroyed) return;
          if (index >= frames.length) return void response.end();
          response.write(frames[index]);
          setTimeout(() => writeFrom(index + 1), reply.frameDelayMs);
        };
        writeFrom(0);
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    queue,
    reply: (...replies) => queue.push(...replies),
    get modelInfo() {
      return state.modelInfo;
    },
    set modelInfo(info) {
      state.modelInfo = info;
    },
    reset() {
      requests.length = 0;
      queue.length = 0;
      state.modelInfo = undefined;
    },
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
