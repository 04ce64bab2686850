/**
 * A bound on how deeply a JSON request body nests. `JSON.parse` copes with any depth, but what comes
 * after it recurses: schema validation (metadata and custom event data are any JSON), hashing, the
 * store's serialization. Ten thousand levels overflow the stack there, which is a 500 for what is the
 * client's mistake, so the body is measured before anything parses it.
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./http-errors.ts";

/**
 * Levels of objects and arrays a request body may nest. Real payloads stay far below it (Ruby's JSON
 * parser stops at 100 by default, for the same reason); the recursion that follows is safe far above it.
 */
export const maxJsonDepth = 100;

/**
 * Whether JSON text nests objects and arrays deeper than `limit`, found by one scan that skips
 * strings, without parsing. Text that is not JSON gets an answer too; the parser rejects it later.
 *
 * @example
 * nestsDeeperThan('{"a":[[1]]}', 2); // true
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c)
        index++; // a backslash: the next character is escaped
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x7b || code === 0x5b) {
      if (++depth > limit) return true;
    } else if (code === 0x7d || code === 0x5d) {
      depth--;
    }
  }
  return false;
}

/**
 * Refuses a JSON body nested deeper than `limit` with a 400 `invalid_request`. It reads a copy of
 * the body, so the route (the API's validator, or an extension checking a signature) reads it whole.
 */
export function jsonDepthLimit(limit: number = maxJsonDepth): MiddlewareHandler {
  return async (c, next) => {
    const type = c.req.header("content-type") ?? "";
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && /json/i.test(type)) {
      // A copy: an extension's route reads the request's own body (and checks its signature over the bytes).
      if (nestsDeeperThan(await c.req.raw.clone().text(), limit)) {
        throw new ApiError(
          400,
          "invalid_request",
          `The JSON body has objects or arrays nesting deeper than ${limit} levels; the API takes at most ${limit}. Flatten the data, or send a deeply nested value as a JSON string.`,
        );
      }
    }
    await next();
  };
}
