// @ts-nocheck — a browser example, loaded as is.
import { AbstractChat, DefaultChatTransport, lastAssistantMessageIsCompleteWithApprovalResponses } from "https://esm.sh/ai@7";

const agent = new URLSearchParams(location.search).get("agent") ?? "calculator";
const list = document.getElementById("messages");

/** The chat's state, as React's useChat keeps it; every change re-renders the list. */
class PageState {
  status = "ready";
  error = undefined;
  messages = [];
  pushMessage = (message) => {
    this.messages.push(message);
    render();
  };
  popMessage = () => {
    this.messages.pop();
    render();
  };
  replaceMessage = (index, message) => {
    this.messages[index] = message;
    render();
  };
  snapshot = (thing) => structuredClone(thing);
}

class PageChat extends AbstractChat {}

const chat = new PageChat({
  id: sessionStorage.chatId ?? (sessionStorage.chatId = crypto.randomUUID()),
  // An API key, when the server has them: new DefaultChatTransport({ api, headers: { authorization: "Bearer …" } }).
  transport: new DefaultChatTransport({ api: `/v1/chat?agent=${encodeURIComponent(agent)}` }),
  state: new PageState(),
  // After the person approves or rejects every call of a reply, the chat sends the answers on.
  sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
});

function button(label, onclick) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  element.onclick = onclick;
  return element;
}

function render() {
  list.replaceChildren(
    ...chat.messages.map((message) => {
      const item = document.createElement("div");
      item.className = `message ${message.role}`;
      for (const part of message.parts) {
        const line = document.createElement("div");
        if (part.type === "text") line.textContent = `${message.role === "user" ? "You" : "Agent"}: ${part.text}`;
        else if (part.type.startsWith("tool-")) {
          line.className = "tool";
          line.textContent = `${part.type.slice(5)} ${JSON.stringify(part.input)} — ${part.state}${part.output === undefined ? "" : ` → ${JSON.stringify(part.output)}`}`;
          if (part.state === "approval-requested") {
            // The approval id binds the decision to this call and these arguments on the server.
            line.append(
              " ",
              button("Approve", () => chat.addToolApprovalResponse({ id: part.approval.id, approved: true })),
            );
            line.append(
              " ",
              button("Reject", () =>
                chat.addToolApprovalResponse({ id: part.approval.id, approved: false, reason: "rejected in the chat" }),
              ),
            );
          }
        } else continue;
        item.append(line);
      }
      return item;
    }),
  );
}

document.getElementById("send").onsubmit = (event) => {
  event.preventDefault();
  const input = document.getElementById("text");
  if (input.value.trim()) chat.sendMessage({ text: input.value });
  input.value = "";
};
