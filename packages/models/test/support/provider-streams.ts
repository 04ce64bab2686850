/**
 * The streaming wire formats of the two provider APIs the stand-in speaks, made from the non-streaming
 * reply it would otherwise send, so every queued reply can be answered either way:
 * - OpenAI Chat Completions (`stream: true`): `data: <chat.completion.chunk>` lines whose
 *   `choices[0].delta` carries `content` pieces or `tool_calls` pieces (id, type and name on a
 *   call's first piece, `function.arguments` in pieces after), `finish_reason` on the last choice
 *   chunk, a `choices: []` chunk with `usage` (`stream_options.include_usage`), then `data: [DONE]`.
 * - Anthropic Messages (`stream: true`): named events `message_start`, then per content block
 *   `content_block_start`, `content_block_delta` (`text_delta` or `input_json_delta` with
 *   `partial_json`), `content_block_stop`; `ping` after the first block starts; `message_delta`
 *   (`stop_reason`, `usage.output_tokens`) and `message_stop`.
 * - Ollama's native chat (`/api/chat`, streams unless `stream: false`): NDJSON, one object per line,
 *   `message.content` in pieces with `done: false`, each `message.tool_calls` entry whole (Ollama
 *   never splits arguments), then a line with `done: true`, empty content, `done_reason` and the
 *   counts (`prompt_eval_count`, `eval_count`, durations).
 */

type Json = Record<string, unknown>;

function pieces(text: string, size: number): string[] {
  const result: string[] = [];
  for (let start = 0; start < text.length; start += size) result.push(text.slice(start, start + size));
  return result;
}

/** SSE frames of an OpenAI chat completion, one frame per string. */
export function openaiStreamFrames(body: Json, pieceSize: number): string[] {
  const choice = (body.choices as Json[])[0] as Json;
  const message = choice.message as { content?: string | null; tool_calls?: Json[] };
  const chunk = (delta: Json, finishReason: string | null = null): Json => ({
    id: body.id,
    object: "chat.completion.chunk",
    created: body.created,
    model: body.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  });
  const chunks: Json[] = [chunk({ role: "assistant", content: "", refusal: null })];
  for (const piece of pieces(message.content ?? "", pieceSize)) chunks.push(chunk({ content: piece }));
  for (const [index, call] of (message.tool_calls ?? []).entries()) {
    const fn = call.function as { name: string; arguments: string };
    chunks.push(chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: fn.name, arguments: "" } }] }));
    for (const piece of pieces(fn.arguments, pieceSize)) chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  }
  chunks.push(chunk({}, choice.finish_reason as string));
  chunks.push({ id: body.id, object: "chat.completion.chunk", created: body.created, model: body.model, choices: [], usage: body.usage });
  return [...chunks.map((value) => `data: ${JSON.stringify(value)}\n\n`), "data: [DONE]\n\n"];
}

/** SSE frames of an Anthropic message, one frame per string. */
export function anthropicStreamFrames(body: Json, pieceSize: number): string[] {
  const frame = (value: Json) => `event: ${value.type as string}\ndata: ${JSON.stringify(value)}\n\n`;
  const usage = body.usage as { input_tokens: number; output_tokens: number };
  const frames = [
    frame({
      type: "message_start",
      message: {
        ...body,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: usage.input_tokens, output_tokens: 1 },
      },
    }),
  ];
  for (const [index, block] of (body.content as Json[]).entries()) {
    if (block.type === "tool_use") {
      frames.push(
        frame({ type: "content_block_start", index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } }),
      );
      for (const piece of pieces(JSON.stringify(block.input), pieceSize)) {
        frames.push(frame({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: piece } }));
      }
    } else {
      frames.push(frame({ type: "content_block_start", index, content_block: { type: "text", text: "" } }));
      for (const piece of pieces(block.text as string, pieceSize)) {
        frames.push(frame({ type: "content_block_delta", index, delta: { type: "text_delta", text: piece } }));
      }
    }
    if (index === 0) frames.push(frame({ type: "ping" }));
    frames.push(frame({ type: "content_block_stop", index }));
  }
  frames.push(
    frame({
      type: "message_delta",
      delta: { stop_reason: body.stop_reason, stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    }),
    frame({ type: "message_stop" }),
  );
  return frames;
}

/** NDJSON lines of an Ollama chat reply (the non-streaming object), one line per string. */
export function ollamaStreamLines(body: Json, pieceSize: number): string[] {
  const message = body.message as { role: string; content: string; tool_calls?: Json[] };
  const line = (value: Json) => `${JSON.stringify(value)}\n`;
  const head = { model: body.model, created_at: body.created_at };
  const lines: string[] = [];
  for (const piece of pieces(message.content, pieceSize)) {
    lines.push(line({ ...head, message: { role: "assistant", content: piece }, done: false }));
  }
  for (const call of message.tool_calls ?? []) {
    lines.push(line({ ...head, message: { role: "assistant", content: "", tool_calls: [call] }, done: false }));
  }
  const { message: _message, ...counts } = body;
  lines.push(line({ ...counts, message: { role: "assistant", content: "" }, done: true }));
  return lines;
}
