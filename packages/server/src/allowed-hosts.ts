/**
 * Which `Host` headers the server answers. A server without API keys trusts whoever reaches its
 * port, which on loopback means this machine, except through DNS rebinding: a page on
 * `attacker.example` re-points its name at 127.0.0.1, and the browser then sends that page's requests
 * to the server, with `Host: attacker.example`. Refusing names the server was not configured for
 * closes that door. Loopback names and IP addresses cannot be an attacker's name: a page can only be
 * on an IP address's origin if it was served from that address.
 */
import { isIP } from "node:net";
import { ConfigurationError } from "agentfold";
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./http-errors.ts";

export interface HostPolicy {
  /** Whether `hostHeader` (a `Host` header, `name[:port]`) may be answered. */
  allows(hostHeader: string | undefined): boolean;
  /** What is allowed, for error messages. */
  readonly description: string;
}

/** A `Host` header's name, lower-cased without its port and trailing dot; `undefined` if it is not a host. */
function hostnameOf(header: string): string | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::\d{1,5})?$/i.exec(header.trim());
  return match ? match[1]!.toLowerCase().replace(/\.$/, "") : undefined;
}

/** Loopback names and IP address literals, which DNS rebinding cannot produce. */
function isAlwaysAllowed(hostname: string): boolean {
  if (hostname === "localhost" || hostname.endsWith(".localhost")) return true;
  return isIP(hostname.replace(/^\[(.*)\]$/, "$1")) !== 0;
}

/**
 * Parses `allowedHosts`: a list or a comma-separated string (the `AGENTFOLD_ALLOWED_HOSTS` format).
 * An entry is a host name (`agents.example.com`), `.example.com` for a domain and its subdomains, or
 * `*` for any host.
 *
 * @example
 * parseAllowedHosts("agents.example.com, .internal"); // ["agents.example.com", ".internal"]
 */
export function parseAllowedHosts(input: readonly string[] | string | undefined): string[] {
  if (input === undefined) return [];
  const entries = (typeof input === "string" ? input.split(",") : [...input])
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== "");
  for (const entry of entries) {
    if (entry === "*") continue;
    const name = entry.startsWith(".") ? entry.slice(1) : entry;
    // hostnameOf drops a port and a trailing dot, so anything but a bare name comes back different.
    if (hostnameOf(name) !== name) {
      throw new ConfigurationError(
        `Allowed host ${JSON.stringify(entry)} is invalid: give a host name without scheme, port or path (agents.example.com), .example.com for a domain and its subdomains, or * for any host.`,
      );
    }
  }
  return entries;
}

/**
 * The policy: loopback names and IP addresses, the name the server listens on, and `allowed`.
 *
 * @example
 * hostPolicy({ allowed: ["agents.example.com"] }).allows("agents.example.com:3000"); // true
 */
export function hostPolicy(options: { allowed: readonly string[]; hostname?: string | undefined }): HostPolicy {
  const names = new Set(options.allowed.filter((entry) => !entry.startsWith(".")));
  const domains = options.allowed.filter((entry) => entry.startsWith("."));
  const listening = options.hostname === undefined ? undefined : hostnameOf(options.hostname);
  if (listening !== undefined) names.add(listening);
  const any = names.has("*");
  const extra = [...names, ...domains].filter((name) => name !== "*" && !isAlwaysAllowed(name));
  return {
    description: ["localhost", "127.0.0.1", "[::1]", "other IP addresses", ...extra].join(", "),
    allows(header) {
      if (any) return true;
      const hostname = header === undefined ? undefined : hostnameOf(header);
      if (hostname === undefined) return false;
      return (
        isAlwaysAllowed(hostname) ||
        names.has(hostname) ||
        domains.some((domain) => hostname === domain.slice(1) || hostname.endsWith(domain))
      );
    },
  };
}

/**
 * Refuses requests whose `Host` the policy does not allow: 403 `host_not_allowed`, with what to do.
 */
export function allowedHostsMiddleware(policy: HostPolicy, reason: string): MiddlewareHandler {
  return async (c, next) => {
    // @hono/node-server builds the URL from the Host header; app.request() in tests may send only the URL.
    const header = c.req.header("host") ?? new URL(c.req.url).host;
    if (!policy.allows(header)) {
      throw new ApiError(
        403,
        "host_not_allowed",
        `Requests for host ${JSON.stringify(header)} are refused: ${reason}, this server answers only requests addressed to ${policy.description}, so that no web page can reach it by re-pointing its own name (DNS rebinding). ` +
          `Use the server's address (e.g. http://127.0.0.1:3000), or allow the name with the allowedHosts option (agentfold serve --allowed-host <name>, AGENTFOLD_ALLOWED_HOSTS), or configure API keys (AGENTFOLD_API_KEYS).`,
      );
    }
    await next();
  };
}
