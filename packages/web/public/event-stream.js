// @ts-check
/**
 * Follows a thread's server-sent events. It reads the stream with fetch rather than EventSource
 * because EventSource cannot send the Authorization header, and an API key in a URL ends up in logs.
 * On a dropped connection it reconnects after the last sequence it saw, so nothing is missed or
 * received twice. A message it cannot read is skipped (reconnecting would only receive it again);
 * an answer that retrying cannot fix (401, 403, 404) is handed to `onError` and ends the stream.
 */
import { ApiError, authHeaders } from "./api.js";

/**
 * @typedef {{ type: string, at: string, sequence: number } & Record<string, any>} StreamedEvent
 */

/**
 * Parses SSE text into messages; returns the messages and the unparsed rest.
 *
 * @param {string} buffer
 * @returns {{ messages: { id?: string, event?: string, data: string }[], rest: string }}
 */
export function parseServerSentEvents(buffer) {
  const messages = [];
  const normalized = buffer.replace(/\r\n?/g, "\n");
  const blocks = normalized.split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    /** @type {{ id?: string, event?: string, data: string }} */
    const message = { data: "" };
    const data = [];
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") data.push(value);
      else if (field === "id") message.id = value;
      else if (field === "event") message.event = value;
    }
    if (data.length > 0) {
      message.data = data.join("\n");
      messages.push(message);
    }
  }
  return { messages, rest };
}

/**
 * @typedef {{
 *   after: number,
 *   onEvent: (event: StreamedEvent) => void,
 *   onStatus?: (connected: boolean, problem?: string) => void,
 *   onMalformed?: (data: string) => void,
 *   onError?: (error: ApiError) => void,
 * }} FollowOptions
 * `onMalformed` is called with a message's data that is not a JSON event (the message is skipped;
 * reload the thread to see it). `onError` gets the API's answer when the stream cannot go on.
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
  const error = body && body.error;
  return new ApiError(
    response.status,
    (error && error.code) || "http_error",
    (error && error.message) || `The live stream answered ${response.status} ${response.statusText}.`,
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
  let retryMs = 500;

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
          retryMs = 500;
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done || stopped) break;
            buffer += value;
            const parsed = parseServerSentEvents(buffer);
            buffer = parsed.rest;
            for (const message of parsed.messages) {
              const event = readEvent(message.data);
              if (!event) {
                // Skip it and read on: reconnecting would only receive it again. Its id is its
                // sequence, so a later reconnect starts after it.
                const sequence = Number(message.id);
                if (Number.isInteger(sequence) && sequence > after) after = sequence;
                options.onMalformed?.(message.data);
                continue;
              }
              if (event.sequence <= after) continue;
              after = event.sequence;
              options.onEvent(event);
            }
          }
          if (!stopped) options.onStatus?.(false, "The live stream closed; reconnecting.");
        }
      } catch (error) {
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
