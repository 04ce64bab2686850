/**
 * The bare Hono app of the HTTP API: invalid requests are 400s that name the fields, errors are
 * `{ error: { code, message } }` (http-errors.ts), an unknown route is a 404 that points to the
 * OpenAPI document.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { describeError } from "agentfold/runtime";
import { ApiError, errorResponse } from "./http-errors.ts";
import type { ApiApp, Env } from "./routes/route-context.ts";

export function createApiApp(): ApiApp {
  const app = new OpenAPIHono<Env>({
    defaultHook: (result) => {
      if (result.success) return;
      const issues = result.error.issues
        .slice(0, 5)
        .map((issue) => `${[result.target === "json" ? "body" : result.target, ...issue.path].join(".")}: ${issue.message}`)
        .join("; ");
      throw new ApiError(400, "invalid_request", `Invalid request: ${issues}.`);
    },
  });
  app.onError((error, c) => {
    // The client went away while sending its body: nobody reads this answer, and it is not a server failure to log.
    if (c.req.raw.signal.aborted && (error as NodeJS.ErrnoException).code === "ECONNRESET") {
      return c.json(
        { error: { code: "client_closed", message: "The client closed the connection before its request arrived whole." } },
        400,
      );
    }
    const { status, body, headers } = errorResponse(error);
    if (status >= 500) console.error("agentfold server:", status === 503 ? describeError(error) : error);
    return c.json(body, status, headers);
  });
  app.notFound((c) =>
    c.json(
      {
        error: {
          code: "not_found",
          message: `No route ${c.req.method} ${new URL(c.req.url).pathname}. See GET /openapi.json for the API.`,
        },
      },
      404,
    ),
  );
  return app;
}
