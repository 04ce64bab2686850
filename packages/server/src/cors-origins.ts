/** CORS for the origins `ServerOptions.cors` lists; off unless given. */
import { ConfigurationError } from "agentfold";
import { cors } from "hono/cors";

/** Throws a `ConfigurationError` for an origin that is not exact (scheme, host, port) or an empty list. */
export function corsMiddleware(origins: readonly string[]) {
  for (const origin of origins) {
    let exact: string | undefined;
    try {
      exact = new URL(origin).origin;
    } catch {}
    if (origin !== "*" && exact !== origin) {
      throw new ConfigurationError(
        `CORS origin ${JSON.stringify(origin)} is invalid: give an origin such as https://inbox.example.com (scheme, host, port; no path or trailing slash), or "*".`,
      );
    }
  }
  if (origins.length === 0)
    throw new ConfigurationError(
      'cors.origins is empty: list the origins to allow (["https://inbox.example.com"]), or leave cors out to keep it off.',
    );
  // The headers the API reads and sends.
  return cors({
    origin: origins.includes("*") ? "*" : [...origins],
    allowMethods: ["GET", "POST", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"],
    exposeHeaders: ["Location", "Retry-After"],
    maxAge: 600,
  });
}
