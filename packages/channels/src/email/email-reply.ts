/** Reading a person's email reply: the new text without quoted history or signature, and the command in it. */

/**
 * The new part of a reply: stops at the quoted history ("On … wrote:", "-----Original Message-----",
 * an Outlook "From:" header block, `>` lines) and at the signature ("-- ", "Sent from my …").
 *
 * @example
 * stripReply("approve\n\nOn Mon, Alex wrote:\n> deploy v2?"); // "approve"
 */
export function stripReply(text: string): string {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const kept: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const trimmed = line.trim();
    if (/^--\s?$/.test(line) || /^(sent from my|get outlook for)\b/i.test(trimmed)) break;
    if (/^-{2,}\s*original message\s*-{2,}$/i.test(trimmed) || /^_{5,}$/.test(trimmed)) break;
    if (/^from:\s.+/i.test(trimmed) && kept.some((candidate) => candidate.trim() !== "")) break;
    // "On <date>, <name> wrote:" may wrap onto the next line.
    const joined = `${trimmed} ${lines[index + 1]?.trim() ?? ""}`;
    if (/^on\b.*\bwrote:$/i.test(trimmed) || (/^on\b/i.test(trimmed) && /\bwrote:$/i.test(joined))) break;
    if (trimmed.startsWith(">")) continue;
    kept.push(line);
  }
  return kept.join("\n").trim();
}

export type ReplyCommand = { type: "approve" } | { type: "reject"; reason: string | undefined } | { type: "text"; text: string };

/**
 * What a reply to an approval says: "approve" / "yes" / "lgtm" approve; "reject: <reason>" / "no"
 * reject; anything else is text (an answer to a question).
 *
 * @example
 * replyCommand("reject: not on a Friday"); // { type: "reject", reason: "not on a Friday" }
 */
export function replyCommand(text: string): ReplyCommand {
  const trimmed = text.trim();
  if (/^(approve|approved|yes|y|lgtm|ok)\b[.!]?\s*$/i.test(trimmed.split("\n")[0]!.trim())) return { type: "approve" };
  const reject = /^(reject|rejected|deny|denied|no)\b\s*[:\-–]?\s*([\s\S]*)$/i.exec(trimmed);
  if (reject) return { type: "reject", reason: reject[2]!.trim() || undefined };
  return { type: "text", text: trimmed };
}
