// @ts-check
/**
 * The thread as a timeline: one entry per event, in the order appended, each with what a person
 * needs to see (who, when, what was called with which arguments, what came back).
 */
import { h, jsonText } from "./dom.js";
import { formatNumber, timeElement } from "./format.js";

/** @typedef {{ type: string, at: string } & Record<string, any>} ThreadEvent */

/**
 * A link to another thread's page.
 *
 * @param {string} threadId
 * @param {string} [label]
 */
export function threadLink(threadId, label) {
  return h("a", { href: `#/threads/${encodeURIComponent(threadId)}`, title: threadId }, label ?? threadId);
}

/** @param {unknown} value */
const pre = (value) => h("pre", { class: "code" }, jsonText(value));

/** @param {number} ms */
const formatDuration = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 100) / 10} s`);

/** @param {number | undefined} ms */
const ranFor = (ms) => (ms === undefined ? null : h("p", { class: "muted small tool-duration" }, `ran in ${formatDuration(ms)}`));

/**
 * How long each tool ran, for the entry of its result: remembers when each call started (its
 * `tool_started`, by call id) as events arrive in order, and answers at its result or its error.
 *
 * @example
 * const tools = toolTimer();
 * for (const event of events) timelineEntry(event, sequence, fork, tools.durationOf(event));
 */
export function toolTimer() {
  /** @type {Map<string, number>} */
  const started = new Map();
  return {
    /** @param {ThreadEvent} event @returns {number | undefined} */
    durationOf(event) {
      if (event.type === "tool_started") started.set(event.callId, Date.parse(event.at));
      if (event.type !== "tool_result" && !(event.type === "error" && event.source === "tool")) return undefined;
      const start = started.get(event.callId);
      return start === undefined ? undefined : Math.max(0, Date.parse(event.at) - start);
    },
  };
}

/**
 * The title and body of an event.
 *
 * @param {ThreadEvent} event
 * @param {number} [durationMs] how long the tool ran, for a tool's result or error
 * @returns {{ title: (string | Node)[], body: (Node | string | null)[], tone: string }}
 */
export function describeEvent(event, durationMs) {
  switch (event.type) {
    case "user_input":
      return {
        title: [`User input${event.actor ? ` from ${event.actor}` : ""}${event.source ? ` (${event.source})` : ""}`],
        body: [h("p", { class: "text" }, event.text)],
        tone: "user",
      };
    case "model_decision": {
      const usage = event.usage
        ? `${formatNumber(event.usage.inputTokens)} in / ${formatNumber(event.usage.outputTokens)} out tokens${event.usage.cost === undefined ? "" : `, $${event.usage.cost}`}`
        : "";
      const details = [event.model, usage, event.latencyMs === undefined ? "" : `${Math.round(event.latencyMs)} ms`]
        .filter(Boolean)
        .join(" · ");
      return {
        title: [`Model decided ${event.calls.length === 1 ? "1 call" : `${event.calls.length} calls`}`],
        body: [
          ...event.calls.map((/** @type {any} */ call) =>
            h(
              "div",
              { class: "call" },
              h("p", {}, h("code", { class: "intent" }, call.intent), " ", h("span", { class: "muted" }, call.callId)),
              pre(call.args),
            ),
          ),
          details ? h("p", { class: "muted small" }, details) : null,
        ],
        tone: "model",
      };
    }
    case "approval_requested":
      return { title: ["Approval requested for ", h("code", { class: "intent" }, event.intent)], body: [pre(event.args)], tone: "waiting" };
    case "approval_decision":
      return {
        title: [`${event.approved ? (event.args ? "Approved with edited arguments" : "Approved") : "Rejected"} by ${event.actor}`],
        body: [
          event.comment ? h("blockquote", {}, event.comment) : null,
          event.args ? h("div", {}, h("p", { class: "muted small" }, "Arguments that run:"), pre(event.args)) : null,
        ],
        tone: event.approved ? "ok" : "rejected",
      };
    case "tool_started":
      return { title: ["Running ", h("code", { class: "intent" }, event.intent)], body: [], tone: "quiet" };
    case "tool_result":
      return {
        title: [event.prefetched ? "Prefetched result of " : "Result of ", h("code", { class: "intent" }, event.intent)],
        body: [
          pre(event.result),
          event.childThreadId ? h("p", {}, "Child thread: ", threadLink(event.childThreadId)) : null,
          ranFor(durationMs),
        ],
        tone: "ok",
      };
    case "error":
      return {
        title: [
          `Error (${String(event.source).replace("_", " ")})`,
          event.intent ? " in " : "",
          event.intent ? h("code", { class: "intent" }, event.intent) : "",
        ],
        body: [
          h("p", { class: "text" }, event.message),
          event.raw ? h("details", {}, h("summary", {}, "Model output"), h("pre", { class: "code" }, event.raw)) : null,
          ranFor(durationMs),
        ],
        tone: "error",
      };
    case "human_request":
      return {
        title: [event.reason === "question" ? "Asked a person" : `Asked a person (${String(event.reason).replace("_", " ")})`],
        body: [
          h("p", { class: "text" }, event.question),
          event.context ? h("p", { class: "muted text" }, event.context) : null,
          h(
            "p",
            { class: "muted small" },
            `Urgency ${event.urgency} · ${String(event.format).replace("_", " ")}`,
            event.choices ? ` · choices: ${event.choices.join(", ")}` : "",
          ),
        ],
        tone: "waiting",
      };
    case "human_response":
      return { title: [`Answer from ${event.actor}`], body: [h("p", { class: "text" }, event.text)], tone: "user" };
    case "child_paused":
      return {
        title: ["Waiting on a child agent"],
        body: [h("p", {}, threadLink(event.childThreadId), ` is ${String(event.childStatus).replace("_", " ")}.`)],
        tone: "waiting",
      };
    case "child_resumed":
      return { title: ["Child agent resumed"], body: [h("p", {}, threadLink(event.childThreadId))], tone: "quiet" };
    case "done":
      return { title: ["Done"], body: [h("p", { class: "text" }, event.message)], tone: "ok" };
    case "failed":
      return {
        title: [
          event.code === "model_misconfigured"
            ? "Failed: the model is misconfigured"
            : event.code === "model_unavailable"
              ? "Failed: the model is unavailable"
              : "Failed",
        ],
        body: [h("p", { class: "text" }, event.reason)],
        tone: "error",
      };
    case "resumed":
      return { title: [`Resumed${event.actor ? ` by ${event.actor}` : ""}`], body: [], tone: "quiet" };
    case "model_call_retried": {
      const wait = event.waitMs < 1000 ? `${Math.round(event.waitMs)} ms` : `${Math.round(event.waitMs / 100) / 10} s`;
      return {
        title: [
          `Model call retried: ${event.status === undefined ? "no answer" : `HTTP ${event.status}`} on attempt ${event.attempt}, waiting ${wait}`,
        ],
        body: [h("p", { class: "muted small" }, `${event.model} · ${event.message}`)],
        tone: "waiting",
      };
    }
    case "model_warning":
      return {
        title: [
          event.kind === "context_window_exceeded"
            ? "Warning: the prompt is longer than the model's context window"
            : `Model warning: ${event.kind}`,
        ],
        body: [h("p", { class: "muted small" }, `${event.model} · ${event.message}`)],
        tone: "waiting",
      };
    case "tools_listed":
      // A server's list is long (every input schema): names up front, the rest on request.
      return {
        title: [`Tools listed by ${event.source}`],
        body: [
          h("p", { class: "muted small" }, event.tools.map((/** @type {any} */ tool) => tool.name).join(", ") || "none"),
          h("details", {}, h("summary", {}, "Descriptions and schemas"), pre(event.tools)),
        ],
        tone: "quiet",
      };
    case "handoff":
      return {
        title: [`Handed off from ${event.from} to ${event.to}`],
        body: [h("p", { class: "text" }, event.reason)],
        tone: "quiet",
      };
    case "cancel":
      return {
        title: [`Canceled${event.actor ? ` by ${event.actor}` : ""}`],
        body: [event.reason ? h("p", { class: "text" }, event.reason) : null],
        tone: "rejected",
      };
    case "timer_set":
      return {
        title: [`Waits until ${event.until}`],
        body: [event.reason ? h("p", { class: "text" }, event.reason) : null],
        tone: "waiting",
      };
    case "timer_fired":
      return { title: [event.early ? `Woken early${event.actor ? ` by ${event.actor}` : ""}` : "Timer fired"], body: [], tone: "quiet" };
    case "deadline_passed":
      return {
        title: [
          event.action === "escalate"
            ? `Deadline passed: escalated to ${(event.to ?? []).join(", ")}`
            : event.action === "remind"
              ? "Deadline passed: reminder"
              : "Deadline passed: rejected",
        ],
        body: [h("p", { class: "muted small" }, event.callId)],
        tone: event.action === "reject" ? "rejected" : "waiting",
      };
    case "compaction":
      return { title: [`Compacted events before ${event.upTo}`], body: [h("p", { class: "text" }, event.summary)], tone: "quiet" };
    case "custom":
      return { title: [`Custom: ${event.name}`], body: [pre(event.data)], tone: "quiet" };
    default:
      return { title: [event.type], body: [pre(event)], tone: "quiet" };
  }
}

/**
 * One timeline entry with a fork button.
 *
 * @param {ThreadEvent} event
 * @param {number} sequence 1-based position in the thread
 * @param {(sequence: number) => void} onFork
 * @param {number} [durationMs] how long the tool ran (`toolTimer`), for a tool's result or error
 */
export function timelineEntry(event, sequence, onFork, durationMs) {
  const { title, body, tone } = describeEvent(event, durationMs);
  return h(
    "li",
    { class: `event tone-${tone}`, id: `event-${sequence}`, dataset: { type: event.type, sequence: String(sequence) } },
    h(
      "div",
      { class: "event-head" },
      h("span", { class: "sequence", "aria-label": `event ${sequence}` }, String(sequence)),
      h("h3", { class: "event-title" }, ...title),
      timeElement(event.at),
      h(
        "button",
        {
          type: "button",
          class: "link-button fork",
          title: `A new thread with events 1 to ${sequence}`,
          onclick: () => onFork(sequence),
        },
        // The accessible name starts with the visible text (speech input users say what they see).
        "Fork here",
        h("span", { class: "visually-hidden" }, ` at event ${sequence}`),
      ),
    ),
    ...body,
  );
}

/**
 * The reply a model is writing, shown below the timeline while it streams: text as written, a tool
 * call as its name and its arguments so far. Not an event: `clear()` takes it away when the stored
 * decision (or error) arrives; a retry's first piece starts it again.
 *
 * @example
 * const reply = liveReply();
 * timeline.append(reply.element);
 * reply.write({ type: "model_delta", after: 1, attempt: 1, kind: "text", text: "Hel" });
 */
export function liveReply() {
  const text = h("pre", { class: "live-reply-text" });
  const element = h(
    "li",
    { class: "event tone-model live-reply", dataset: { type: "model_delta" } },
    h("div", { class: "event-head" }, h("h3", { class: "event-title" }, "The model is writing…")),
    text,
  );
  let attempt = 0;
  let call = -1;
  return {
    element,
    /** @param {{ attempt: number, kind: string, text?: string, index?: number, toolName?: string, argsText?: string }} delta */
    write(delta) {
      if (delta.attempt !== attempt) {
        attempt = delta.attempt;
        call = -1;
        text.textContent = attempt > 1 ? `(attempt ${attempt}) ` : "";
      }
      if (delta.kind === "text") {
        text.textContent += delta.text ?? "";
        return;
      }
      if (delta.index !== call) {
        call = delta.index ?? 0;
        text.textContent += `${text.textContent ? "\n" : ""}${delta.toolName} `;
      }
      text.textContent += delta.argsText ?? "";
    },
    clear() {
      element.remove();
      text.textContent = "";
      attempt = 0;
      call = -1;
    },
  };
}

/**
 * A one-line summary of an event, for a card's "recent context".
 *
 * @param {ThreadEvent} event
 * @returns {string}
 */
export function summarizeEvent(event) {
  const clip = (/** @type {unknown} */ value) => {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text.length > 160 ? `${text.slice(0, 157)}…` : text;
  };
  switch (event.type) {
    case "user_input":
      return `User: ${clip(event.text)}`;
    case "model_decision":
      return `Model: ${event.calls.map((/** @type {any} */ call) => `${call.intent} ${clip(call.args)}`).join("; ")}`;
    case "tool_result":
      return `Result of ${event.intent}: ${clip(event.result)}`;
    case "error":
      return `Error: ${clip(event.message)}`;
    case "human_request":
      return `Asked: ${clip(event.question)}`;
    case "human_response":
      return `${event.actor} answered: ${clip(event.text)}`;
    case "approval_decision":
      return `${event.approved ? "Approved" : "Rejected"} by ${event.actor}${event.comment ? `: ${clip(event.comment)}` : ""}`;
    case "done":
      return `Done: ${clip(event.message)}`;
    case "handoff":
      return `Handed off from ${event.from} to ${event.to}: ${clip(event.reason)}`;
    default:
      return event.type.replace("_", " ");
  }
}
