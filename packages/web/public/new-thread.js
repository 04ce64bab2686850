// @ts-check
/**
 * Starting a thread from the inbox: one of the agents the server runs (`GET /v1/agents`) and a first
 * message, sent as `POST /v1/threads`. The new thread's page opens, where it runs live.
 */
import { ApiError, api } from "./api.js";
import { announce, h } from "./dom.js";

/**
 * The form; `agents` are the names to choose from (the first is chosen).
 *
 * @param {string[]} agents
 * @returns {HTMLFormElement}
 * @example panel.append(newThreadForm(["calculator", "notes"]));
 */
export function newThreadForm(agents) {
  const agent = h(
    "select",
    { id: "new-thread-agent", required: true },
    agents.map((name) => h("option", { value: name }, name)),
  );
  // Enter sends, Shift+Enter is a new line (form-keys.js).
  const message = h("textarea", {
    id: "new-thread-message",
    rows: 2,
    required: true,
    placeholder: "e.g. divide 6 by 3",
    dataset: { enterSubmits: "" },
  });
  const status = h("p", { class: "card-status", role: "status", "aria-live": "polite" });
  const button = h("button", { type: "submit", class: "primary" }, "Start thread");
  const form = h(
    "form",
    { class: "card new-thread", "aria-labelledby": "new-thread-heading", novalidate: true },
    h("h2", { id: "new-thread-heading" }, "Start a thread"),
    h("label", { for: "new-thread-agent" }, "Agent"),
    agent,
    h("label", { for: "new-thread-message" }, "First message"),
    message,
    h("div", { class: "actions" }, button),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = message.value.trim();
    if (!text) {
      status.textContent = "Write the first message.";
      status.dataset.tone = "error";
      message.focus();
      return;
    }
    button.disabled = true;
    status.textContent = "Starting…";
    status.dataset.tone = "info";
    try {
      const thread = await api.launch(agent.value, text);
      announce(`Started a thread of ${agent.value}.`);
      location.hash = `#/threads/${encodeURIComponent(thread.id)}`;
    } catch (error) {
      button.disabled = false;
      status.textContent = error instanceof ApiError ? error.message : String(error);
      status.dataset.tone = "error";
    }
  });
  return form;
}
