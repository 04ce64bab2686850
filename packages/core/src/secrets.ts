/**
 * Secrets kept out of the model's context by default. The thread stores what tools returned and what
 * people wrote, unchanged (it is the record, and forks and replays need it); the context is what
 * leaves the process for a model provider, so the default renderer masks what looks like a secret
 * there: values under secret-looking keys, and credentials recognizable by their shape in any text.
 * `xmlContext({ redactSecrets: false })` turns this off; `redact` paths add to it.
 */

import type { JsonValue } from "./events.ts";

/** The mask a redacted value or credential renders as. */
export const REDACTED = "[redacted]";

// Key names are compared lowercased with every non-alphanumeric character removed, so `api_key`,
// `apiKey` and `API-KEY` are one name.
const secretKeyEndings = ["password", "passwd", "passphrase", "secret", "secretkey", "accesskey", "token", "apikey", "privatekey", "authorization", "cookie", "credentials"];
// Tokens a tool hands back for the model to use in its next call, not to authenticate anyone: a
// masked page token would break pagination.
const harmlessTokenEndings = ["pagetoken", "continuationtoken", "cursortoken", "synctoken", "nexttoken"];

/** Whether a key's value is masked by default: `password`, `db_password`, `apiKey`, `accessToken`, `Authorization`, … */
export function isSecretKey(name: string): boolean {
  const normalized = name.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (normalized === "pwd" || normalized === "setcookie") return true;
  if (harmlessTokenEndings.some((ending) => normalized.endsWith(ending))) return false;
  return secretKeyEndings.some((ending) => normalized.endsWith(ending));
}

// Credentials by shape, as one alternation so a text is scanned once. Every branch is linear (no
// nested quantifiers), so a megabyte of tool output costs one pass; the private-key block is bounded
// so an unterminated BEGIN cannot scan to the end for every BEGIN.
const credentialSources = [
  String.raw`-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----[\s\S]{0,20000}?-----END [A-Z ]{0,40}PRIVATE KEY-----`,
  String.raw`\bsk-[A-Za-z0-9_-]{20,}`, // OpenAI and Anthropic API keys (sk-…, sk-proj-…, sk-ant-…)
  String.raw`\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}`, // Stripe secret and restricted keys
  String.raw`\bxox[abposr]-[A-Za-z0-9-]{10,}`, // Slack tokens
  String.raw`\bxapp-[A-Za-z0-9-]{10,}`, // Slack app-level tokens
  String.raw`\bgh[pousr]_[A-Za-z0-9]{30,}`, // GitHub tokens
  String.raw`\bgithub_pat_[A-Za-z0-9_]{30,}`, // GitHub fine-grained tokens
  String.raw`\bglpat-[A-Za-z0-9_-]{20,}`, // GitLab personal access tokens
  String.raw`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`, // AWS access key ids
  String.raw`\bAIza[0-9A-Za-z_-]{35}`, // Google API keys
  String.raw`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`, // JSON Web Tokens
  // `Bearer <token>` / `Basic <credentials>`: the scheme stays (group 1), the credentials go.
  String.raw`\b(Bearer|Basic) [A-Za-z0-9._~+/=-]{16,}`,
  // `scheme://user:password@host`: the part up to the password stays (group 2), the password goes.
  String.raw`\b([A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s:/@]{1,200}:)[^\s@/]{1,200}@`,
];
const credentialPattern = new RegExp(credentialSources.join("|"), "g");

/** `text` with every credential recognizable by its shape replaced by `[redacted]`. */
export function redactCredentials(text: string): string {
  return text.replace(credentialPattern, (_match, scheme?: string, urlPrefix?: string) =>
    scheme ? `${scheme} ${REDACTED}` : urlPrefix ? `${urlPrefix}${REDACTED}@` : REDACTED,
  );
}

/** `value` with secret-looking keys masked at any depth and credentials masked in every string. */
export function redactSecrets(value: JsonValue): JsonValue {
  if (typeof value === "string") return redactCredentials(value);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(redactSecrets);
  const out: Record<string, JsonValue> = {};
  for (const [name, inner] of Object.entries(value)) out[name] = isSecretKey(name) && inner !== null ? REDACTED : redactSecrets(inner);
  return out;
}
