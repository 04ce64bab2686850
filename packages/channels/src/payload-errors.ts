/** A zod failure on an inbound payload as the 400 it is: which field, what is wrong, what to send. */
import type { z } from "zod";

/**
 * The first issue of `error` as one sentence naming the field (`"event.user": expected string`);
 * `under` is the path of the parsed value inside the body.
 *
 * @example
 * describeIssue(schema.safeParse(body).error!, "Slack event"); // 'Invalid Slack event at "event.user": expected string, received number.'
 */
export function describeIssue(error: z.ZodError, what: string, under: readonly string[] = []): string {
  const issue = error.issues[0];
  const full = [...under, ...(issue?.path ?? []).map(String)];
  const path = full.length > 0 ? ` at "${full.join(".")}"` : "";
  return `Invalid ${what}${path}: ${issue?.message ?? "invalid"}.`;
}
