// @ts-check
/**
 * Cards for what waits on a person: an approval (approve, reject with a comment, or edit the
 * arguments and approve) and a question (yes/no, a choice, or free text). Used by the inbox and the
 * thread page. Every decision goes through the HTTP API; the server enforces it.
 */
import { ApiError, api } from "./api.js";
import { announce, append, h, jsonText, replaceChildren, uniqueId } from "./dom.js";
import { timeElement } from "./format.js";
import { buildArgsForm } from "./schema-form.js";
import { summarizeEvent, threadLink } from "./timeline.js";

/** @typedef {{ id: string, agent: string | null, status: string, events: ({ type: string, at: string } & Record<string, any>)[] }} ThreadView */
/** @typedef {{ intent: string, description: string, parameters: Record<string, any>, approval: string }} ToolView */
/** @typedef {{ kind: string, callId: string, since: string } & Record<string, any>} PendingItem */

/**
 * The last few events before a pending item that tell a person what led to it.
 *
 * @param {ThreadView} thread
 * @param {string} callId
 * @param {number} [count]
 */
function recentContext(thread, callId, count = 4) {
  // The decision that made this call is the card itself; show what led to it.
  const relevant = thread.events.filter(
    (event) =>
      !["tool_started", "approval_requested", "human_request"].includes(event.type) &&
      !(event.type === "model_decision" && event.calls.some((/** @type {{ callId: string }} */ call) => call.callId === callId)),
  );
  const recent = relevant.slice(-count);
  if (recent.length === 0) return null;
  // Always shown, and not a <details>: a summary would be one more Tab stop before the decision.
  return h(
    "div",
    { class: "recent" },
    h("p", { class: "label" }, "Recent context"),
    h(
      "ol",
      { class: "recent-list" },
      recent.map((event) => h("li", {}, summarizeEvent(event))),
    ),
  );
}

/**
 * Card header: what, which agent, since when. The link to the thread comes after the card's
 * buttons (`threadFooter`), so that the decision is the card's first Tab stop.
 *
 * @param {string} kind
 * @param {(string | Node)[]} title
 * @param {ThreadView} thread
 * @param {PendingItem} item
 */
function cardHead(kind, title, thread, item) {
  // After a handoff the thread's agent is the one it was passed to; say who passed it.
  const handoff = thread.events.findLast((event) => event.type === "handoff");
  return h(
    "header",
    { class: "card-head" },
    h("span", { class: `badge kind-${kind}` }, kind),
    item.urgency ? h("span", { class: `badge urgency-${item.urgency}` }, `${item.urgency} urgency`) : null,
    h("h3", { class: "card-title" }, ...title),
    h(
      "p",
      { class: "card-meta muted" },
      thread.agent ?? "unknown agent",
      handoff ? ` (handed off by ${handoff.from})` : "",
      " · ",
      timeElement(item.since),
    ),
  );
}

/**
 * The link to the card's thread; none on the thread's own page, where it would point to itself.
 *
 * @param {ThreadView} thread
 */
function threadFooter(thread) {
  if (location.hash.includes(encodeURIComponent(thread.id))) return null;
  return h("p", { class: "card-foot small" }, threadLink(thread.id, "Open thread"));
}

/**
 * Runs a decision: disables the card's buttons while it is sent, shows the API's error message if
 * any, and marks the card decided when it went through.
 *
 * @param {HTMLElement} card
 * @param {HTMLElement} status
 * @param {() => Promise<unknown>} send
 * @param {string} doneMessage
 * @param {() => void} onSettled
 */
async function submit(card, status, send, doneMessage, onSettled) {
  const buttons = [...card.querySelectorAll("button")];
  for (const button of buttons) button.disabled = true;
  status.textContent = "Sending…";
  status.dataset.tone = "info";
  try {
    await send();
    card.classList.add("decided");
    replaceChildren(status, doneMessage);
    announce(doneMessage);
    onSettled();
  } catch (error) {
    for (const button of buttons) button.disabled = false;
    const message = error instanceof ApiError ? error.message : String(error);
    status.textContent = error instanceof ApiError && error.status === 409 ? `${message} Reload to see the current state.` : message;
    status.dataset.tone = "error";
  }
}

/**
 * @param {PendingItem} item an approval from the thread's `pending`
 * @param {ThreadView} thread
 * @param {ToolView | undefined} tool the tool's description from GET /v1/agents
 * @param {() => void} onSettled
 */
export function approvalCard(item, thread, tool, onSettled) {
  const status = h("p", { class: "card-status", role: "status", "aria-live": "polite" });
  const panel = h("div", { class: "card-panel" });
  const card = h(
    "article",
    {
      class: "card approval",
      "aria-label": `Approval: ${item.intent}`,
      // Focused by the j and k shortcuts (shortcuts.js), not by Tab.
      tabindex: "-1",
      dataset: { threadId: thread.id, callId: item.callId },
    },
    cardHead("approval", ["Run ", h("code", { class: "intent" }, item.intent), "?"], thread, item),
    tool ? h("p", { class: "muted" }, tool.description) : null,
    h("p", { class: "label" }, "Arguments"),
    h("pre", { class: "code args" }, jsonText(item.args)),
    recentContext(thread, item.callId),
  );
  // `data-action` is what the a, r and e shortcuts press (shortcuts.js).
  const approve = h("button", { type: "button", class: "primary", dataset: { action: "approve" } }, "Approve");
  const reject = h("button", { type: "button", class: "danger", "aria-expanded": "false", dataset: { action: "reject" } }, "Reject…");
  const edit = h("button", { type: "button", "aria-expanded": "false", dataset: { action: "edit" } }, "Edit arguments…");
  const send = (
    /** @type {{ approved: boolean, comment?: string, args?: Record<string, unknown> }} */ decision,
    /** @type {string} */ message,
  ) => submit(card, status, () => api.decide(thread.id, item.callId, { ...decision, argsHash: item.argsHash }), message, onSettled);

  approve.addEventListener("click", () => send({ approved: true }, `Approved ${item.intent}. The thread goes on.`));

  reject.addEventListener("click", () => {
    const open = reject.getAttribute("aria-expanded") === "true";
    reject.setAttribute("aria-expanded", String(!open));
    edit.setAttribute("aria-expanded", "false");
    if (open) return replaceChildren(panel);
    const id = uniqueId("reject-comment");
    // Enter sends, Shift+Enter is a new line (form-keys.js).
    const comment = h("textarea", { id, rows: 2, placeholder: "e.g. use 5 as the divisor", dataset: { enterSubmits: "" } });
    const form = h(
      "form",
      { class: "inline-form" },
      h("label", { for: id }, "Comment for the agent (it reads this)"),
      comment,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "danger" }, "Send rejection")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = comment.value.trim();
      send({ approved: false, ...(text ? { comment: text } : {}) }, `Rejected ${item.intent}. The agent will read your comment.`);
    });
    replaceChildren(panel, form);
    comment.focus();
  });

  edit.addEventListener("click", () => {
    const open = edit.getAttribute("aria-expanded") === "true";
    edit.setAttribute("aria-expanded", String(!open));
    reject.setAttribute("aria-expanded", "false");
    if (open) return replaceChildren(panel);
    const schema = tool?.parameters ?? { type: "object" };
    const argsForm = buildArgsForm(schema, item.args);
    const formErrors = h("p", { class: "field-error", role: "alert", hidden: true });
    const commentId = uniqueId("edit-comment");
    const comment = h("input", { id: commentId, type: "text" });
    const form = h(
      "form",
      { class: "inline-form", novalidate: true },
      tool ? null : h("p", { class: "muted" }, `This server does not describe the tool "${item.intent}"; fields are edited as JSON.`),
      argsForm.element,
      h("label", { for: commentId }, "Comment (optional)"),
      comment,
      formErrors,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Approve with these arguments")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const result = argsForm.read();
      if (!result.ok) {
        const general = result.errors.filter((error) => !form.querySelector(`[name="${CSS.escape(error.path.split(".")[0] ?? "")}"]`));
        formErrors.textContent = `Fix the arguments before approving.${general.map((error) => ` ${error.path || "arguments"}: ${error.message}`).join("")}`;
        formErrors.hidden = false;
        return;
      }
      formErrors.hidden = true;
      // Unchanged arguments are a plain approval: the timeline must not say they were edited.
      const changed = result.changed.length > 0;
      const text = comment.value.trim();
      send(
        { approved: true, ...(changed ? { args: result.value } : {}), ...(text ? { comment: text } : {}) },
        changed ? `Approved ${item.intent} with edited arguments. The thread goes on.` : `Approved ${item.intent}. The thread goes on.`,
      );
    });
    replaceChildren(panel, form);
    /** @type {HTMLElement | null} */ (form.querySelector("input, select, textarea"))?.focus();
  });

  append(card, [h("div", { class: "actions" }, approve, edit, reject), panel, status, threadFooter(thread)]);
  return card;
}

/**
 * @param {PendingItem} item a question from the thread's `pending`
 * @param {ThreadView} thread
 * @param {() => void} onSettled
 */
export function questionCard(item, thread, onSettled) {
  const status = h("p", { class: "card-status", role: "status", "aria-live": "polite" });
  const card = h(
    "article",
    {
      class: "card question",
      "aria-label": `Question: ${item.question}`,
      tabindex: "-1",
      dataset: { threadId: thread.id, callId: item.callId },
    },
    cardHead(
      item.reason === "question" || !item.reason ? "question" : String(item.reason).replace("_", " "),
      [item.question],
      thread,
      item,
    ),
    item.context ? h("p", { class: "text" }, item.context) : null,
    recentContext(thread, item.callId),
  );
  const answer = (/** @type {string} */ text) =>
    submit(card, status, () => api.respond(thread.id, item.callId, text), "Answer sent. The thread goes on.", onSettled);

  if (item.format === "yes_no") {
    card.append(
      h(
        "div",
        { class: "actions", role: "group", "aria-label": "Answer" },
        h("button", { type: "button", class: "primary", onclick: () => answer("yes") }, "Yes"),
        h("button", { type: "button", onclick: () => answer("no") }, "No"),
      ),
    );
  } else if (item.format === "multiple_choice" && Array.isArray(item.choices) && item.choices.length > 0) {
    const name = uniqueId("choice");
    const form = h(
      "form",
      { class: "inline-form" },
      h(
        "fieldset",
        {},
        h("legend", {}, "Choose one"),
        item.choices.map((/** @type {string} */ choice, /** @type {number} */ index) => {
          const id = `${name}-${index}`;
          return h(
            "div",
            { class: "choice" },
            h("input", { type: "radio", id, name, value: choice, required: index === 0 }),
            h("label", { for: id }, choice),
          );
        }),
      ),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Send answer")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const checked = /** @type {HTMLInputElement | null} */ (form.querySelector("input:checked"));
      if (!checked) {
        status.textContent = "Choose one of the options first.";
        status.dataset.tone = "error";
        return;
      }
      answer(checked.value);
    });
    card.append(form);
  } else {
    const id = uniqueId("answer");
    // Enter sends, Shift+Enter is a new line (form-keys.js).
    const text = h("textarea", { id, rows: 3, required: true, dataset: { enterSubmits: "" } });
    const form = h(
      "form",
      { class: "inline-form" },
      h("label", { for: id }, "Your answer"),
      text,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Send answer")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (text.value.trim() === "") {
        status.textContent = "Write an answer first.";
        status.dataset.tone = "error";
        text.focus();
        return;
      }
      answer(text.value);
    });
    card.append(form);
  }
  append(card, [status, threadFooter(thread)]);
  return card;
}

/**
 * A paused child agent: the decision is made on the child's own thread.
 *
 * @param {PendingItem} item
 * @param {ThreadView} thread
 */
export function childCard(item, thread) {
  return h(
    "article",
    { class: "card child", tabindex: "-1", dataset: { threadId: thread.id, callId: item.callId } },
    cardHead("child agent", ["Waiting on a child agent"], thread, item),
    h("p", {}, "Decide on the child's thread: ", threadLink(item.childThreadId)),
  );
}
