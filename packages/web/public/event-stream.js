// @ts-check
/**
 * Follows a thread's server-sent events. It reads the stream with fetch rather than EventSource
 * because EventSource cannot send the Authorization header, and an API key in a URL ends up in logs.
 * The stream is parsed by eventsource-parser (served by the web app at /assets/eventsource-parser.js
 * from the installed package). On a dropped connection it reconnects after the last sequence it saw, so nothing is missed or
 * received twice. A message it cannot read is skipped (reconnecting would only receive it again);
 * an answer that retrying cannot fix (401, 403, 404) is handed to `onError` and ends the stream.
 */
import { ApiError, authHeaders } from "./api.js";
import { createParser } from "./eventsource-parser.js";

/**
 * @typedef {{ type: string, at: string, sequence: number } & Record<string, any>} StreamedEvent
 */

/**
 * @typedef {{
 *   after: number,
 *   onEvent: (event: StreamedEvent) => void,
 *   onStatus?: (connected: boolean, problem?: string) => void,
 *   onMalformed?: (data: string) => void,
 *   onError?: (error: ApiError) => void,
 *   onDelta?: (delta: ModelDelta) => void,
 *   retryMs?: number,
 * }} FollowOptions
 * `onMalformed` is called with a message's data that is not a JSON event (the message is skipped;
 * reload the thread to see it). `onError` gets the API's answer when the stream cannot go on.
 * `retryMs` is the first wait before reconnecting (default 500 ms; it doubles up to 10 s), shorter
 * in tests. `onDelta` gets each piece of a model reply as it streams (`model_delta` messages: not
 * stored, without a sequence; the decision that follows is an ordinary event).
 */

/**
 * @typedef {{ type: "model_delta", after: number, attempt: number, childThreadId?: string } & (
 *   { kind: "text", text: string } | { kind: "tool_call", index: number, toolName: string, argsText: string }
 * )} ModelDelta
 */

/** Statuses that come back the same on every retry. */
const finalStatuses = new Set([401, 403, 404]);

/**
 * The event in a message's data, or `undefined` when it is not a JSON event.
 *
 * @param {string} data
 * @returns {StreamedEvent | undefined}
 */
function readEvent(data) {
  try {
    const event = JSON.parse(data);
    return event && typeof event === "object" && Number.isInteger(event.sequence) && typeof event.type === "string" ? event : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The piece of a reply in a `model_delta` message's data, or `undefined` when it is not one.
 *
 * @param {string} data
 * @returns {ModelDelta | undefined}
 */
function readDelta(data) {
  try {
    const delta = JSON.parse(data);
    return delta && delta.type === "model_delta" && Number.isInteger(delta.attempt) ? delta : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The API's error answer as an ApiError.
 *
 * @param {Response} response
 */
async function apiErrorOf(response) {
  /** @type {any} */
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = body?.error;
  return new ApiError(
    response.status,
    error?.code || "http_error",
    error?.message || `The live stream answered ${response.status} ${response.statusText}.`,
  );
}

/**
 * Streams a thread's events after `after`. Returns a function that stops it.
 *
 * @param {string} threadId
 * @param {FollowOptions} options
 * @returns {() => void}
 * @example
 * const stop = followThread(id, { after: thread.version, onEvent: show, onError: showError });
 */
export function followThread(threadId, options) {
  let after = options.after;
  let stopped = false;
  let controller = new AbortController();
  const firstRetryMs = options.retryMs ?? 500;
  let retryMs = firstRetryMs;

  async function connect() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const response = await fetch(`/v1/threads/${encodeURIComponent(threadId)}/stream?after=${after}`, {
          headers: { accept: "text/event-stream", ...authHeaders() },
          signal: controller.signal,
        });
        if (finalStatuses.has(response.status)) {
          const error = await apiErrorOf(response);
          if (stopped) return;
          options.onStatus?.(false, `The live stream stopped: ${error.message}`);
          options.onError?.(error);
          return;
        }
        if (!response.ok || !response.body) {
          options.onStatus?.(false, `The live stream answered ${response.status}; retrying.`);
        } else {
          options.onStatus?.(true);
          retryMs = firstRetryMs;
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          const parser = createParser({
            onEvent: (message) => {
              if (stopped) return;
              if (message.event === "model_delta") {
                // A piece of a reply being written: shown, never counted (it has no sequence).
                const delta = readDelta(message.data);
                if (delta) options.onDelta?.(delta);
                return;
              }
              const event = readEvent(message.data);
              if (!event) {
                // Skip it and read on: reconnecting would only receive it again. Its id is its
                // sequence, so a later reconnect starts after it.
                const sequence = Number(message.id);
                if (Number.isInteger(sequence) && sequence > after) after = sequence;
                options.onMalformed?.(message.data);
                return;
              }
              if (event.sequence <= after) return;
              after = event.sequence;
              options.onEvent(event);
            },
          });
          for (;;) {
            const { value, done } = await reader.read();
            if (done || stopped) break;
            parser.feed(value);
          }
          if (!stopped) options.onStatus?.(false, "The live stream closed; reconnecting.");
        }
      } catch {
        if (stopped) return;
        options.onStatus?.(false, "The live stream dropped; reconnecting.");
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs));
      retryMs = Math.min(retryMs * 2, 10_000);
    }
  }

  connect();
  return () => {
    stopped = true;
    controller.abort();
  };
}
