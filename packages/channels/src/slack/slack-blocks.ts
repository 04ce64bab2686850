/** Block Kit for approvals and questions: the messages, the reject and edit modals, the settled state. */
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
const mrkdwn = (text: string) => ({ type: "mrkdwn", text: text.slice(0, 3000) });
const who = (people: readonly string[] | "anyone") => (people === "anyone" ? "anyone here" : people.map((person) => `<@${person}>`).join(", "));

/** `slack:U123` → `<@U123>`; other actors as they are. */
export function mention(actor: string | undefined): string {
  if (!actor) return "someone";
  return actor.startsWith("slack:") ? `<@${actor.slice("slack:".length)}>` : actor;
}

/** The blocks that describe an item (kept when the message is updated after a decision). */
export function itemBlocks(thread: Thread, item: DeliverableItem): Block[] {
  const agent = thread.agent ?? "agent";
  if (item.kind === "approval") {
    return [
      { type: "section", text: mrkdwn(`*${agent}* wants to run \`${item.intent}\`. Approve?`) },
      { type: "section", text: mrkdwn("```" + JSON.stringify(item.args, null, 2).slice(0, 2900) + "```") },
    ];
  }
  const heading = item.reason === "escalation" ? `:rotating_light: *${agent}* needs help` : `*${agent}* asks`;
  const blocks: Block[] = [{ type: "section", text: mrkdwn(`${heading}: ${item.question}`) }];
  if (item.context) blocks.push({ type: "context", elements: [mrkdwn(item.context)] });
  return blocks;
}

/** The message for a pending item: its description, then the buttons. */
export function pendingMessage(thread: Thread, item: DeliverableItem, people: readonly string[] | "anyone"): { text: string; blocks: Block[] } {
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
    const answers = item.format === "yes_no" ? ["yes", "no"] : item.format === "multiple_choice" ? [...(item.choices ?? [])].slice(0, 25) : [];
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
  blocks.push({ type: "context", elements: [mrkdwn(`${hint}May decide: ${who(people)} · thread \`${thread.id}\``)] });
  const text = item.kind === "approval" ? `${thread.agent ?? "agent"} wants to run ${item.intent}` : `${thread.agent ?? "agent"} asks: ${item.question}`;
  return { text, blocks };
}

/** The message after a decision: the description without buttons, and who decided. */
export function settledMessage(thread: Thread, item: DeliverableItem, resolution: Resolution): { text: string; blocks: Block[] } {
  const by = mention(resolution.actor);
  const line =
    resolution.outcome === "approved"
      ? `:white_check_mark: Approved by ${by}`
      : resolution.outcome === "rejected"
        ? `:x: Rejected by ${by}${resolution.text ? `: ${resolution.text}` : ""}`
        : resolution.outcome === "answered"
          ? `:speech_balloon: Answered by ${by}: ${resolution.text ?? ""}`
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
        element: { type: "plain_text_input", action_id: "args", multiline: true, initial_value: JSON.stringify(args, null, 2).slice(0, 3000) },
      },
    ],
  };
}
