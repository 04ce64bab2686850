/** Block Kit for approvals and questions: the messages, the reject and edit modals, the resolved state. */
import type { JsonValue, Thread } from "agentfold";
import type { DeliverableItem, Resolution } from "../channel.ts";

export type Block = Record<string, JsonValue>;

/** Button values carry the thread, the call and (for approvals) the hash of the arguments shown. */
export interface ButtonValue {
  t: string;
  c: string;
  h?: string;
  a?: string;
}

const plain = (text: string) => ({ type: "plain_text", text: text.slice(0, 75) });
/** A mrkdwn text object. Everything from the thread in `text` must already be `escapeMrkdwn`ed. */
const mrkdwn = (text: string) => ({ type: "mrkdwn", text: text.slice(0, 3000) });
/** Characters a Slack user id may hold here; anything else is shown as text, never as a mention. */
const slackId = /^[A-Za-z0-9_.-]{1,64}$/;
const who = (people: readonly string[] | "anyone") => (people === "anyone" ? "anyone here" : people.map(userMention).join(", "));
const userMention = (id: string) => (slackId.test(id) ? `<@${id}>` : escapeMrkdwn(id));

/**
 * Escapes text for Slack's mrkdwn and `text` fields. Slack treats `&`, `<` and `>` as control
 * characters (`<!channel>`, `<@U123>`, `<https://x|label>`) and asks clients to send exactly these
 * three as `&amp;`, `&lt;` and `&gt;`, and nothing else. Thread text (the model's question, a
 * rejection comment, a tool's arguments) is untrusted: without this a prompt-injected question could
 * ping the whole channel or show a disguised link beside the Approve button.
 *
 * @example
 * escapeMrkdwn("<!channel> <https://evil|Approve>"); // "&lt;!channel&gt; &lt;https://evil|Approve&gt;"
 */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** `slack:U123` → `<@U123>`; other actors escaped, as text. */
export function mention(actor: string | undefined): string {
  if (!actor) return "someone";
  return actor.startsWith("slack:") ? userMention(actor.slice("slack:".length)) : escapeMrkdwn(actor);
}

/**
 * Preformatted text as a `rich_text` block: its text elements are shown literally (no mrkdwn, no
 * links, no mentions), so arguments containing backticks or `<!channel>` cannot break out.
 */
function preformatted(text: string): Block {
  return { type: "rich_text", elements: [{ type: "rich_text_preformatted", elements: [{ type: "text", text: text.slice(0, 2900) }] }] };
}

/** The blocks that describe an item (kept when the message is updated after a decision). */
export function itemBlocks(thread: Thread, item: DeliverableItem): Block[] {
  const agent = escapeMrkdwn(thread.agent ?? "agent");
  if (item.kind === "approval") {
    return [
      { type: "section", text: mrkdwn(`*${agent}* wants to run \`${escapeMrkdwn(item.intent)}\`. Approve?`) },
      preformatted(JSON.stringify(item.args, null, 2)),
    ];
  }
  const heading = item.reason === "escalation" ? `:rotating_light: *${agent}* needs help` : `*${agent}* asks`;
  const blocks: Block[] = [{ type: "section", text: mrkdwn(`${heading}: ${escapeMrkdwn(item.question)}`) }];
  if (item.context) blocks.push({ type: "context", elements: [mrkdwn(escapeMrkdwn(item.context))] });
  return blocks;
}

/** The message for a pending item: its description, then the buttons. */
export function pendingMessage(
  thread: Thread,
  item: DeliverableItem,
  people: readonly string[] | "anyone",
): { text: string; blocks: Block[] } {
  const base: ButtonValue = { t: thread.id, c: item.callId };
  const blocks = itemBlocks(thread, item);
  if (item.kind === "approval") {
    const value = JSON.stringify({ ...base, h: item.argsHash });
    blocks.push({
      type: "actions",
      block_id: "agentfold_decision",
      elements: [
        { type: "button", action_id: "agentfold_approve", text: plain("Approve"), style: "primary", value },
        { type: "button", action_id: "agentfold_reject", text: plain("Reject"), style: "danger", value },
        { type: "button", action_id: "agentfold_edit", text: plain("Edit"), value },
      ],
    });
  } else {
    const answers =
      item.format === "yes_no" ? ["yes", "no"] : item.format === "multiple_choice" ? [...(item.choices ?? [])].slice(0, 25) : [];
    if (answers.length > 0) {
      blocks.push({
        type: "actions",
        block_id: "agentfold_answers",
        elements: answers.map((answer, index) => ({
          type: "button",
          action_id: `agentfold_answer_${index}`,
          text: plain(answer),
          value: JSON.stringify({ ...base, a: answer }).slice(0, 2000),
        })),
      });
    }
  }
  const hint = item.kind === "question" ? "Reply in this thread to answer. " : "";
  blocks.push({ type: "context", elements: [mrkdwn(`${hint}May decide: ${who(people)} · thread \`${escapeMrkdwn(thread.id)}\``)] });
  // The fallback text (notifications, screen readers) is mrkdwn too.
  const agent = escapeMrkdwn(thread.agent ?? "agent");
  const text =
    item.kind === "approval" ? `${agent} wants to run ${escapeMrkdwn(item.intent)}` : `${agent} asks: ${escapeMrkdwn(item.question)}`;
  return { text, blocks };
}

/** The message after a decision: the description without buttons, and who decided. */
export function resolvedMessage(thread: Thread, item: DeliverableItem, resolution: Resolution): { text: string; blocks: Block[] } {
  const by = mention(resolution.actor);
  const line =
    resolution.outcome === "approved"
      ? `:white_check_mark: Approved by ${by}`
      : resolution.outcome === "rejected"
        ? `:x: Rejected by ${by}${resolution.text ? `: ${escapeMrkdwn(resolution.text)}` : ""}`
        : resolution.outcome === "answered"
          ? `:speech_balloon: Answered by ${by}: ${escapeMrkdwn(resolution.text ?? "")}`
          : "Closed";
  return { text: line, blocks: [...itemBlocks(thread, item), { type: "context", elements: [mrkdwn(line)] }] };
}

/** The reject modal: a reason, then Reject. */
export function rejectModal(metadata: string): Block {
  return {
    type: "modal",
    callback_id: "agentfold_reject",
    private_metadata: metadata,
    title: plain("Reject"),
    submit: plain("Reject"),
    close: plain("Cancel"),
    blocks: [
      {
        type: "input",
        block_id: "reason",
        label: plain("Why? (the agent reads this)"),
        element: { type: "plain_text_input", action_id: "reason", multiline: true },
      },
    ],
  };
}

/** The edit modal: the arguments as JSON, then Approve. */
export function editModal(metadata: string, intent: string, args: JsonValue): Block {
  return {
    type: "modal",
    callback_id: "agentfold_edit",
    private_metadata: metadata,
    title: plain("Edit and approve"),
    submit: plain("Approve"),
    close: plain("Cancel"),
    blocks: [
      {
        type: "input",
        block_id: "args",
        label: plain(`Arguments of ${intent} (JSON)`),
        element: {
          type: "plain_text_input",
          action_id: "args",
          multiline: true,
          initial_value: JSON.stringify(args, null, 2).slice(0, 3000),
        },
      },
    ],
  };
}
