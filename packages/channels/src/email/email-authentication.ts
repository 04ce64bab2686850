/**
 * Reading `Authentication-Results` (RFC 8601): did the receiving mail server verify that a message
 * really comes from the domain in its From header? A From header alone is trivially forged; DMARC
 * (or an aligned DKIM signature) ties it to the domain's own keys and policy.
 */

export type AuthenticationMethod = "dmarc" | "dkim";

export interface AuthenticationRequirement {
  /**
   * The authserv-id your receiving mail server (or relay) writes first in its header, e.g.
   * `mx.example.com`. Only the topmost header with one of these ids is read: anyone can add an
   * `Authentication-Results` header to the mail they send, and the receiving server adds its own
   * above the ones that came with the message.
   */
  authservId: string | readonly string[];
  /**
   * What counts as proof, any one of them: `dmarc=pass` with `header.from` the sender's domain, or
   * `dkim=pass` with `header.d` the sender's domain or a parent of it. Default both.
   */
  methods?: readonly AuthenticationMethod[];
}

interface ResultEntry {
  method: string;
  result: string;
  properties: Map<string, string>;
}

/** Splits on `;` outside quoted strings, after removing comments (which may nest). */
function splitResults(value: string): string[] {
  let depth = 0;
  let quoted = false;
  let current = "";
  const parts: string[] = [];
  for (let index = 0; index < value.length; index++) {
    const char = value[index]!;
    if (quoted) {
      if (char === "\\") {
        current += char + (value[index + 1] ?? "");
        index++;
        continue;
      }
      if (char === '"') quoted = false;
      current += char;
    } else if (depth > 0) {
      if (char === "(") depth++;
      else if (char === ")") depth--;
      else if (char === "\\") index++;
    } else if (char === "(") {
      depth = 1;
      current += " ";
    } else if (char === '"') {
      quoted = true;
      current += char;
    } else if (char === ";") {
      parts.push(current.trim());
      current = "";
    } else {
      current += char;
    }
  }
  parts.push(current.trim());
  return parts;
}

const unquote = (value: string) =>
  value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1).replace(/\\(.)/g, "$1") : value;

/** One `Authentication-Results` value: its authserv-id and its results. */
export function parseAuthenticationResults(value: string): { authservId: string; results: ResultEntry[] } {
  const [head = "", ...rest] = splitResults(value.replace(/\r?\n[ \t]+/g, " "));
  const authservId = unquote(head.split(/\s+/)[0] ?? "").toLowerCase();
  const results: ResultEntry[] = [];
  for (const part of rest) {
    const tokens = part.split(/\s+/).filter(Boolean);
    const [method, result] = (tokens[0] ?? "").split("=");
    if (!method || !result) continue;
    const properties = new Map<string, string>();
    for (const token of tokens.slice(1)) {
      const equals = token.indexOf("=");
      if (equals > 0) properties.set(token.slice(0, equals).toLowerCase(), unquote(token.slice(equals + 1)).toLowerCase());
    }
    results.push({ method: method.toLowerCase(), result: result.toLowerCase(), properties });
  }
  return { authservId, results };
}

/**
 * Whether the trusted server's `Authentication-Results` prove that `senderAddress` is genuine.
 * Returns `undefined` when it does, else why not (to tell the relay, and the log).
 *
 * @example
 * authenticationFailure(["mx.example.com; dmarc=pass header.from=example.com"], "alex@example.com", { authservId: "mx.example.com" });
 * // undefined: authenticated
 */
export function authenticationFailure(
  headerValues: readonly string[],
  senderAddress: string,
  requirement: AuthenticationRequirement,
): string | undefined {
  const trusted = (typeof requirement.authservId === "string" ? [requirement.authservId] : requirement.authservId).map((id) =>
    id.toLowerCase(),
  );
  const methods = requirement.methods ?? ["dmarc", "dkim"];
  const domain = senderAddress.slice(senderAddress.lastIndexOf("@") + 1).toLowerCase();
  const header = headerValues.map(parseAuthenticationResults).find((parsed) => trusted.includes(parsed.authservId));
  const wanted = methods.map((method) => `${method}=pass`).join(" or ");
  if (!header)
    return `The message has no Authentication-Results header from ${trusted.join(" or ")}, so ${senderAddress} is not proven (${wanted} needed).`;
  const passes = header.results.some((entry) => {
    if (entry.result !== "pass") return false;
    if (entry.method === "dmarc" && methods.includes("dmarc")) return entry.properties.get("header.from") === domain;
    if (entry.method === "dkim" && methods.includes("dkim")) {
      const signer = entry.properties.get("header.d") ?? entry.properties.get("header.i")?.replace(/^.*@/, "");
      // The signer is the sender's domain or a parent of it (never a bare top-level domain).
      return signer?.includes(".") && (domain === signer || domain.endsWith(`.${signer}`));
    }
    return false;
  });
  return passes ? undefined : `${header.authservId} did not report ${wanted} for ${domain}, so ${senderAddress} is not proven.`;
}
