/**
 * API keys as bearer tokens. Configured as `name:key,name2:key2` (the `AGENTFOLD_API_KEYS` format)
 * or as `{ name: key }`; the name of the key that made a request is recorded as the actor.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { ConfigurationError } from "agentfold";

/** Names by key digest. Keys are compared as SHA-256 digests, in constant time. */
export interface ApiKeys {
  /** The key's name, or `undefined` when the token matches no key. */
  nameOf(token: string): string | undefined;
  readonly size: number;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Parses API keys. Returns `undefined` when there are none (auth off).
 *
 * @example
 * const keys = parseApiKeys("alice:s3cret,ci:t0ken");
 * keys?.nameOf("s3cret"); // "alice"
 */
export function parseApiKeys(input: string | Readonly<Record<string, string>> | undefined): ApiKeys | undefined {
  if (input === undefined) return undefined;
  let pairs: [string, string][];
  if (typeof input === "string") {
    if (input.trim() === "") return undefined;
    pairs = input.split(",").map((entry) => {
      const trimmed = entry.trim();
      const colon = trimmed.indexOf(":");
      if (colon <= 0 || colon === trimmed.length - 1) {
        throw new ConfigurationError(`API key entry ${JSON.stringify(trimmed.replace(/:.*/, ":***"))} is invalid: use name:key, separated by commas (name:key,name2:key2).`);
      }
      return [trimmed.slice(0, colon), trimmed.slice(colon + 1)];
    });
  } else {
    pairs = Object.entries(input);
  }
  const entries: { name: string; digest: Buffer }[] = [];
  for (const [name, key] of pairs) {
    if (!/^[A-Za-z0-9_.@-]{1,100}$/.test(name)) {
      throw new ConfigurationError(`API key name ${JSON.stringify(name)} is invalid: use 1-100 letters, digits, _ . @ or -.`);
    }
    if (key.length < 8) throw new ConfigurationError(`The API key named "${name}" is shorter than 8 characters; use a longer, random key.`);
    entries.push({ name, digest: digest(key) });
  }
  if (entries.length === 0) return undefined;
  return {
    size: entries.length,
    nameOf(token) {
      const candidate = digest(token);
      let found: string | undefined;
      // Compare with every key so the time taken does not tell which one matched.
      for (const entry of entries) if (timingSafeEqual(candidate, entry.digest)) found ??= entry.name;
      return found;
    },
  };
}
