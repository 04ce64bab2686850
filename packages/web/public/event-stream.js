// @ts-check
/**
 * Follows a thread's server-sent events. It reads the stream with fetch rather than EventSource
 * because EventSource cannot send the Authorization header, and an API key in a URL ends up in logs.
 * On a dropped connection it reconnects after the last sequence it saw, so nothing is missed or
 * received twice.
 */
import { authHeaders } from "./api.js";

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
 * Streams a thread's events after `after`. Returns a function that stops it.
 *
 * @param {string} threadId
 * @param {{ after: number, onEvent: (event: StreamedEvent) => void, onStatus?: (connected: boolean, problem?: string) => void }} options
 * @returns {() => void}
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
        if (!response.ok || !response.body) {
          options.onStatus?.(false, `The live stream answered ${response.status}; retrying.`);
          if (response.status === 401 || response.status === 404) return;
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
              /** @type {StreamedEvent} */
              const event = JSON.parse(message.data);
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
