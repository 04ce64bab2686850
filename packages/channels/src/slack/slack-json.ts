/** Reading the JSON inside Slack's requests; a signed but malformed body is the sender's fault (a 400). */

/** JSON text as a value, or `undefined` when it is not JSON. */
export function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

export const isObject = (value: unknown): value is object => value !== null && typeof value === "object" && !Array.isArray(value);

/** The `type` of a JSON object, if it has a string one. */
export const typeOf = (value: object): string | undefined => ("type" in value && typeof value.type === "string" ? value.type : undefined);

/** The edit modal's arguments: a JSON object, or why they are not one. */
export function editedArgs(text: string | null | undefined): { args: Record<string, unknown> } | { error: string } {
  const json = parseJson(text ?? "");
  if (!json) return { error: `${JSON.stringify((text ?? "").slice(0, 40))} is not valid JSON` };
  return isObject(json.value) ? { args: { ...json.value } } : { error: "expected a JSON object" };
}
