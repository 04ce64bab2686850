/**
 * API-key auth for `/v1/*`: a bearer key names the caller, whose name is the `actor` on the events
 * its requests append. Without keys every request is `anonymous`.
 */
import type { MiddlewareHandler } from "hono";
import { anonymousCaller, type ApiKeys } from "./api-keys.ts";
import { ApiError } from "./http-errors.ts";
import type { Env } from "./routes/route-context.ts";

export function apiKeyAuth(apiKeys: ApiKeys | undefined): MiddlewareHandler<Env> {
  return async (c, next) => {
    if (!apiKeys) {
      c.set("actor", anonymousCaller.name);
      c.set("caller", anonymousCaller);
      return next();
    }
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const caller = match ? apiKeys.callerOf(match[1]!) : undefined;
    if (!caller) {
      c.header("WWW-Authenticate", 'Bearer realm="agentfold"');
      throw new ApiError(401, "unauthorized", match ? "The API key is not valid." : 'Send an API key: "Authorization: Bearer <key>".');
    }
    c.set("actor", caller.name);
    c.set("caller", caller);
    return next();
  };
}
