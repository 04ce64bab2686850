/**
 * API keys as bearer tokens, with what each key may do.
 *
 * Two forms. The short one, `name:key,name2:key2` (or `{ name: key }` in code), makes every key an
 * unrestricted caller in the default tenant, as before scopes existed. The full one gives a key a
 * tenant (the threads it sees), the agents it may launch and read, and the intents whose approvals
 * and questions it may decide: `{ "alice": { "key": "…", "tenant": "acme", "agents": ["calculator"],
 * "decide": ["divide"] } }`, in code or as JSON in `AGENTFOLD_API_KEYS`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { ConfigurationError } from "agentfold";
import { DEFAULT_TENANT } from "agentfold/runtime";

/** One key of the full form. Left-out fields are unrestricted: all agents, all intents, the default tenant. */
export interface ApiKeySettings {
  /** The bearer token; at least 8 characters. */
  key: string;
  /** The tenant whose threads this key launches and sees. Default `"default"`. */
  tenant?: string;
  /** The agents this key may launch and read threads of. Default: all. */
  agents?: readonly string[];
  /** The tool intents whose approvals and questions this key may decide; `"*"` is all. Default: all. */
  decide?: readonly string[];
}

/** `"name:key,…"`, JSON of `{ name: key | ApiKeySettings }`, or that object. */
export type ApiKeysConfig = string | Readonly<Record<string, string | ApiKeySettings>>;

/** Who made a request, and what they may do. */
export interface Caller {
  /** Recorded as the actor of what the caller does. */
  name: string;
  tenant: string;
  /** `undefined`: every agent. */
  agents: readonly string[] | undefined;
  /** `undefined`: every intent (a `"*"` entry means the same). */
  decide: readonly string[] | undefined;
}

/** The caller of a server without API keys: everyone is one unrestricted caller in one tenant. */
export const anonymousCaller: Caller = Object.freeze({ name: "anonymous", tenant: DEFAULT_TENANT, agents: undefined, decide: undefined });

/** Callers by key digest. Keys are compared as SHA-256 digests, in constant time. */
export interface ApiKeys {
  /** The key's name, or `undefined` when the token matches no key. */
  nameOf(token: string): string | undefined;
  /** The key's caller, or `undefined` when the token matches no key. */
  callerOf(token: string): Caller | undefined;
  /** Every configured caller (for checking them against the server's agents). */
  readonly callers: readonly Caller[];
  readonly size: number;
}

const digest = (value: string) => createHash("sha256").update(value).digest();
const NAME = /^[A-Za-z0-9_.@-]{1,100}$/;
const SETTINGS_FIELDS = new Set(["key", "tenant", "agents", "decide"]);

function listOf(name: string, field: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((item) => typeof item === "string" && item !== "")) {
    throw new ConfigurationError(
      `API key "${name}": "${field}" must be a non-empty list of names (["a", "b"]), got ${JSON.stringify(value)}.`,
    );
  }
  return Object.freeze([...new Set(value as string[])]);
}

function callerFrom(name: string, value: unknown): { caller: Caller; key: string } {
  if (!NAME.test(name))
    throw new ConfigurationError(`API key name ${JSON.stringify(name)} is invalid: use 1-100 letters, digits, _ . @ or -.`);
  if (typeof value === "string") value = { key: value };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigurationError(
      `API key "${name}" must be a key string or { "key", "tenant"?, "agents"?, "decide"? }, got ${Array.isArray(value) ? "a list" : typeof value}.`,
    );
  }
  const settings = value as Record<string, unknown>;
  const unknown = Object.keys(settings).filter((field) => !SETTINGS_FIELDS.has(field));
  if (unknown.length > 0)
    throw new ConfigurationError(
      `API key "${name}" has unknown field ${JSON.stringify(unknown[0])}; the fields are key, tenant, agents, decide.`,
    );
  const { key, tenant } = settings;
  if (typeof key !== "string") throw new ConfigurationError(`API key "${name}" has no "key" string.`);
  if (key.length < 8) throw new ConfigurationError(`The API key named "${name}" is shorter than 8 characters; use a longer, random key.`);
  if (tenant !== undefined && (typeof tenant !== "string" || !NAME.test(tenant))) {
    throw new ConfigurationError(`API key "${name}": "tenant" must be 1-100 letters, digits, _ . @ or -, got ${JSON.stringify(tenant)}.`);
  }
  const decide = listOf(name, "decide", settings.decide);
  const caller: Caller = Object.freeze({
    name,
    tenant: (tenant as string | undefined) ?? DEFAULT_TENANT,
    agents: listOf(name, "agents", settings.agents),
    // "*" anywhere in the list: every intent, the same as leaving it out.
    decide: decide?.includes("*") ? undefined : decide,
  });
  return { caller, key };
}

function parseText(input: string): [string, unknown][] {
  const text = input.trim();
  if (text.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ConfigurationError(
        `API keys: the JSON is invalid (${(error as Error).message}); use {"name": {"key": "…", "tenant": "…", "agents": […], "decide": […]}}.`,
      );
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new ConfigurationError("API keys: the JSON must be an object of keys by name.");
    return Object.entries(parsed);
  }
  return text.split(",").map((entry) => {
    const trimmed = entry.trim();
    const colon = trimmed.indexOf(":");
    if (colon <= 0 || colon === trimmed.length - 1) {
      throw new ConfigurationError(
        `API key entry ${JSON.stringify(trimmed.replace(/:.*/, ":***"))} is invalid: use name:key, separated by commas (name:key,name2:key2), or JSON.`,
      );
    }
    return [trimmed.slice(0, colon), trimmed.slice(colon + 1)];
  });
}

/**
 * Parses API keys. Returns `undefined` when there are none (auth off).
 *
 * @example
 * const keys = parseApiKeys("alice:s3cret-key,ci:t0ken-key");
 * keys?.nameOf("s3cret-key"); // "alice"
 * parseApiKeys({ bob: { key: "…", tenant: "acme", agents: ["calculator"], decide: ["divide"] } });
 */
export function parseApiKeys(input: ApiKeysConfig | undefined): ApiKeys | undefined {
  if (input === undefined) return undefined;
  if (typeof input === "string" && input.trim() === "") return undefined;
  const pairs = typeof input === "string" ? parseText(input) : Object.entries(input);
  const entries: { caller: Caller; digest: Buffer }[] = [];
  for (const [name, value] of pairs) {
    const { caller, key } = callerFrom(name, value);
    entries.push({ caller, digest: digest(key) });
  }
  if (entries.length === 0) return undefined;
  const callerOf = (token: string) => {
    const candidate = digest(token);
    let found: Caller | undefined;
    // Compare with every key so the time taken does not tell which one matched.
    for (const entry of entries) if (timingSafeEqual(candidate, entry.digest)) found ??= entry.caller;
    return found;
  };
  return {
    size: entries.length,
    callers: entries.map((entry) => entry.caller),
    callerOf,
    nameOf: (token) => callerOf(token)?.name,
  };
}
