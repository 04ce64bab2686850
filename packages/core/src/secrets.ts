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
const secretKeyEndings = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "secretkey",
  "accesskey",
  "token",
  "apikey",
  "privatekey",
  "authorization",
  "cookie",
  "credentials",
];
// Tokens a tool hands back for the model to use in its next call, not to authenticate anyone: a
// masked page token would break pagination.
const harmlessTokenEndings = ["pagetoken", "continuationtoken", "cursortoken", "synctoken", "nexttoken"];

// Every event's data is walked when it is first rendered, and the same few key names recur in every
// step: the answer per name is remembered (bounded, so hostile data cannot grow it without limit).
const keyVerdicts = new Map<string, boolean>();

/** Whether a key's value is masked by default: `password`, `db_password`, `apiKey`, `accessToken`, `Authorization`, … */
export function isSecretKey(name: string): boolean {
  let verdict = keyVerdicts.get(name);
  if (verdict === undefined) {
    const normalized = name.toLowerCase().replace(/[^a-z0-9]/g, "");
    verdict =
      normalized === "pwd" ||
      normalized === "setcookie" ||
      (!harmlessTokenEndings.some((ending) => normalized.endsWith(ending)) &&
        secretKeyEndings.some((ending) => normalized.endsWith(ending)));
    if (keyVerdicts.size >= 10_000) keyVerdicts.clear();
    keyVerdicts.set(name, verdict);
  }
  return verdict;
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
/** What every branch above starts with (or, for URLs, contains): most text has none, and is left after one cheap scan. */
const credentialMarker = /sk-|k_live_|k_test_|xox|xapp-|gh[pousr]_|github_pat_|glpat-|AKIA|ASIA|AIza|eyJ|-----BEGIN|Bearer |Basic |:\/\//;

/** `text` with every credential recognizable by its shape replaced by `[redacted]`. */
export function redactCredentials(text: string): string {
  if (text.length < 8 || !credentialMarker.test(text)) return text;
  return text.replace(credentialPattern, (_match, scheme?: string, urlPrefix?: string) =>
    scheme ? `${scheme} ${REDACTED}` : urlPrefix ? `${urlPrefix}${REDACTED}@` : REDACTED,
  );
}

/**
 * `value` with secret-looking keys masked at any depth and credentials masked in every string. What
 * has nothing to mask is returned as is (the same object), so the common case allocates nothing.
 */
export function redactSecrets(value: JsonValue): JsonValue {
  if (typeof value === "string") return redactCredentials(value);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let out: JsonValue[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const masked = redactSecrets(value[index]!);
      if (masked !== value[index]) (out ??= value.slice())[index] = masked;
    }
    return out ?? value;
  }
  let out: Record<string, JsonValue> | undefined;
  for (const name in value) {
    const inner = value[name]!;
    const masked = isSecretKey(name) && inner !== null ? REDACTED : redactSecrets(inner);
    // defineProperty, not `out[name] =`: a key named "__proto__" (from JSON.parse) stays a key.
    if (masked !== inner)
      Object.defineProperty((out ??= { ...value }), name, { value: masked, enumerable: true, writable: true, configurable: true });
  }
  return out ?? value;
}
