/**
 * Canonical JSON and SHA-256, synchronous, and without `node:*` imports so the core's main entry
 * loads none. Used to bind an approval to the exact arguments that were shown to the human.
 */

/** JSON with object keys sorted at every level: equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(",")}}`;
}

type Crypto = typeof import("node:crypto");
let nodeCrypto: Crypto | undefined;

/**
 * SHA-256 of a UTF-8 string, as lowercase hex, with Node's own (OpenSSL) implementation. It is
 * fetched with `process.getBuiltinModule` on the first hash, not imported: the core's main entry
 * loads no `node:*` module, and a process that never binds an approval never pays the ~1–5 ms that
 * loading node:crypto costs.
 */
export function sha256Hex(text: string): string {
  nodeCrypto ??= globalThis.process.getBuiltinModule("node:crypto");
  return nodeCrypto.createHash("sha256").update(text, "utf8").digest("hex");
}

/** The hash an approval is bound to: SHA-256 of the canonical JSON of the arguments. */
export function hashArgs(args: unknown): string {
  return sha256Hex(canonicalJson(args));
}
