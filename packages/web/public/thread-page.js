// @ts-check
/**
 * A thread's page: its status and totals, what waits on a person, the waterfall of its steps, the
 * event timeline with a fork button at every event, the exact model input of the next step with its
 * token count, and a box for a new message. New events arrive through the thread's stream without a
 * reload.
 */
import { ApiError, api } from "./api.js";
import { approvalCard, childCard, questionCard } from "./cards.js";
import { announce, h, replaceChildren } from "./dom.js";
import { followThread } from "./event-stream.js";
import { formatCost, formatNumber, statusBadge, threadTotals, timeElement } from "./format.js";
import { liveReply, timelineEntry, toolTimer } from "./timeline.js";
import { waterfall } from "./waterfall.js";

/** @typedef {import("./cards.js").ThreadView & { version: number, pending: import("./cards.js").PendingItem[] }} FullThread */

const terminal = new Set(["done", "failed", "canceled"]);

/** Events recorded while a model call goes on: they leave the reply being written in place. */
const duringModelCall = new Set(["model_call_retried", "model_warning"]);

/**
 * Renders thread `threadId` into `root`. Returns a function that stops its stream.
 *
 * @param {HTMLElement} root
 * @param {string} threadId
 * @param {{ onError: (error: unknown) => void }} hooks
 */
export function showThread(root, threadId, hooks) {
  let stopped = false;
  /** @type {() => void} */
  let stopStream = () => {};
  /** @type {FullThread | undefined} */
  let thread;
  /** @type {Map<string, import("./cards.js").ToolView>} */
  const tools = new Map();
  let pendingKeys = "";
  let refreshTimer = 0;

  const heading = h("h1", { tabindex: "-1" }, "Thread ", h("code", { class: "thread-id" }, threadId));
  const meta = h("dl", { class: "meta" });
  const live = h("p", { class: "live muted small", role: "status" }, "Connecting…");
  const headerActions = h("div", { class: "actions" });
  const pendingSection = h("section", { class: "pending", "aria-labelledby": "pending-heading", hidden: true });
  const timeline = h("ol", { class: "timeline", "aria-label": "Events, oldest first" });
  const reply = liveReply();
  const toolTimes = toolTimer();
  const contextPanel = h("div", { class: "context-body" }, h("p", { class: "muted" }, "Loading…"));
  const waterfallPanel = h("div", { class: "waterfall-body" }, h("p", { class: "muted small" }, "Loading…"));
  const messageId = "new-message";
  // Enter sends, Shift+Enter is a new line (form-keys.js).
  const messageText = h("textarea", { id: messageId, rows: 2, placeholder: "e.g. now multiply that by 3", dataset: { enterSubmits: "" } });
  const messageStatus = h("p", { class: "card-status", role: "status", "aria-live": "polite" });
  const messageForm = h(
    "form",
    { class: "inline-form message-form" },
    h("label", { for: messageId }, "Send the agent a new message"),
    messageText,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Send message")),
    messageStatus,
  );
  messageForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = messageText.value.trim();
    if (!text) {
      messageStatus.textContent = "Write a message first.";
      return;
    }
    try {
      await api.message(threadId, text);
      messageText.value = "";
      messageStatus.textContent = "Sent. The agent goes on.";
    } catch (error) {
      messageStatus.textContent = error instanceof ApiError ? error.message : String(error);
    }
  });

  replaceChildren(
    root,
    h("p", { class: "breadcrumb" }, h("a", { href: "#/threads" }, "← Threads")),
    heading,
    meta,
    live,
    headerActions,
    pendingSection,
    h(
      "section",
      { class: "waterfall-section", "aria-labelledby": "waterfall-heading" },
      h("h2", { id: "waterfall-heading" }, "Waterfall"),
      h("p", { class: "muted small" }, "Each step's model call, tool runs and waits for people, on the thread's time line."),
      waterfallPanel,
    ),
    h(
      "div",
      { class: "thread-layout" },
      h(
        "section",
        { class: "timeline-section", "aria-labelledby": "timeline-heading" },
        h("h2", { id: "timeline-heading" }, "Timeline"),
        timeline,
        messageForm,
      ),
      h(
        "section",
        { class: "context-section", "aria-labelledby": "context-heading" },
        h("h2", { id: "context-heading" }, "Next model input"),
        h("p", { class: "muted small" }, "Exactly what the next step would send to the model."),
        contextPanel,
      ),
    ),
  );

  /** @param {number} sequence */
  async function fork(sequence) {
    try {
      const forked = await api.fork(threadId, sequence);
      announce(`Forked events 1 to ${sequence} into a new thread.`);
      location.hash = `#/threads/${encodeURIComponent(forked.id)}`;
    } catch (error) {
      announce(error instanceof ApiError ? error.message : String(error), "error");
    }
  }

  /** @param {{ type: string, at: string } & Record<string, any>} event @param {number} sequence */
  function appendEvent(event, sequence) {
    if (timeline.querySelector(`#event-${sequence}`)) return;
    // Any other stored event ends the reply being written (the decision, an error, a cancel). These
    // two are recorded while the call goes on, and may reach the page after its first pieces.
    if (!duringModelCall.has(event.type)) reply.clear();
    const entry = timelineEntry(event, sequence, fork, toolTimes.durationOf(event));
    timeline.insertBefore(entry, reply.element.isConnected ? reply.element : null);
  }

  function renderHeader() {
    if (!thread) return;
    const totals = threadTotals(thread.events);
    const first = thread.events[0];
    /** @type {[string, string | Node][]} */
    const rows = [
      ["Agent", thread.agent ?? "–"],
      ["Status", statusBadge(thread.status)],
      ["Events", String(thread.version)],
      ["Steps", String(totals.steps)],
      ["Tokens", `${formatNumber(totals.tokens)} (${formatNumber(totals.inputTokens)} in, ${formatNumber(totals.outputTokens)} out)`],
      ["Cost", formatCost(totals.cost)],
    ];
    if (first) rows.push(["Started", timeElement(first.at)]);
    replaceChildren(
      meta,
      rows.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))),
    );
    const current = thread;
    replaceChildren(
      headerActions,
      terminal.has(current.status)
        ? null
        : h(
            "button",
            {
              type: "button",
              class: "danger",
              onclick: async () => {
                if (!window.confirm("Cancel this thread? The agent stops; a new message can reopen it.")) return;
                try {
                  await api.cancel(threadId);
                  announce("Thread canceled.");
                  scheduleRefresh();
                } catch (error) {
                  announce(error instanceof ApiError ? error.message : String(error), "error");
                }
              },
            },
            "Cancel thread",
          ),
    );
  }

  function renderPending() {
    if (!thread) return;
    const keys = thread.pending.map((item) => item.callId).join(",");
    if (keys === pendingKeys) return;
    pendingKeys = keys;
    const current = thread;
    pendingSection.hidden = current.pending.length === 0;
    replaceChildren(
      pendingSection,
      h("h2", { id: "pending-heading" }, "Waiting on you"),
      h(
        "div",
        { class: "cards" },
        current.pending.map((item) =>
          item.kind === "approval"
            ? approvalCard(item, current, tools.get(item.intent), scheduleRefresh)
            : item.kind === "question"
              ? questionCard(item, current, scheduleRefresh)
              : childCard(item, current),
        ),
      ),
    );
  }

  async function renderContext() {
    try {
      const context = await api.context(threadId);
      if (stopped) return;
      replaceChildren(
        contextPanel,
        h(
          "p",
          { class: "tokens" },
          h("strong", {}, `${formatNumber(context.tokens)} tokens`),
          ` · ${context.messages.length} message(s) · ${context.mode} mode`,
        ),
        context.messages.map((/** @type {{ role: string, content: string }} */ message, /** @type {number} */ index) =>
          h(
            "details",
            { class: "message", open: index === context.messages.length - 1 },
            h("summary", {}, `${message.role} · ${formatNumber(message.content.length)} characters`),
            h("pre", { class: "code" }, message.content),
          ),
        ),
      );
    } catch (error) {
      replaceChildren(contextPanel, h("p", { class: "muted" }, error instanceof ApiError ? error.message : String(error)));
    }
  }

  async function renderWaterfall() {
    try {
      const { timing } = await api.timing(threadId);
      if (stopped) return;
      replaceChildren(waterfallPanel, waterfall(timing));
    } catch (error) {
      replaceChildren(waterfallPanel, h("p", { class: "muted" }, error instanceof ApiError ? error.message : String(error)));
    }
  }

  async function refresh() {
    try {
      const loaded = await api.thread(threadId);
      if (stopped) return;
      thread = loaded;
      for (const [index, event] of loaded.events.entries()) appendEvent(event, index + 1);
      renderHeader();
      renderPending();
      await Promise.all([renderContext(), renderWaterfall()]);
    } catch (error) {
      if (!stopped) hooks.onError(error);
    }
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(refresh, 250);
  }

  (async () => {
    try {
      const { agents } = await api.agents();
      const loaded = await api.thread(threadId);
      if (stopped) return;
      const agent = agents.find((/** @type {{ name: string }} */ candidate) => candidate.name === loaded.agent);
      for (const tool of agent?.tools ?? []) tools.set(tool.intent, tool);
      thread = loaded;
      for (const [index, event] of loaded.events.entries()) appendEvent(event, index + 1);
      renderHeader();
      renderPending();
      renderContext();
      renderWaterfall();
      stopStream = followThread(threadId, {
        after: loaded.version,
        onEvent: (event) => {
          appendEvent(event, event.sequence);
          scheduleRefresh();
        },
        onDelta: (delta) => {
          // A child agent's pieces (marked with its thread) show on the child's own page.
          if (delta.childThreadId !== undefined) return;
          if (!reply.element.isConnected) timeline.append(reply.element);
          reply.write(delta);
        },
        onStatus: (connected, problem) => {
          live.textContent = connected ? "Live: new events appear as they happen." : (problem ?? "Reconnecting…");
        },
        // An event the stream could not carry is still in the thread: reload it from the API.
        onMalformed: scheduleRefresh,
        // A 401 shows the sign-in form; the page cannot stay live without a key the server accepts.
        onError: (error) => {
          if (!stopped) hooks.onError(error);
        },
      });
    } catch (error) {
      if (!stopped) hooks.onError(error);
    }
  })();

  return () => {
    stopped = true;
    clearTimeout(refreshTimer);
    stopStream();
  };
}
