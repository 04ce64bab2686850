/** What the server says about itself: `GET /healthz`, `GET /readyz`, `GET /v1/agents` and `GET /openapi.json`. */
import type { Agent, ThreadStore } from "agentfold";
import { describeError } from "agentfold/runtime";
import { registerAgentsRoute } from "../agents-route.ts";
import { healthRoute, readyRoute } from "../api-routes.ts";
import type { Drain } from "../drain.ts";
import { withThreadSchemas } from "../openapi-thread-schemas.ts";
import type { ApiApp } from "./route-context.ts";

const documentConfig = {
  openapi: "3.1.0",
  info: {
    title: "agentfold HTTP API",
    version: "1",
    description: "Launch, inspect, approve, answer, message, cancel and fork agent threads. Errors are { error: { code, message } }.",
  },
};

/** How long readiness waits for the store: a probe that hangs tells a load balancer nothing. */
const storeAnswerMs = 2_000;

/** Resolves with why the store is not usable, or `undefined` when it answered a small query in time. */
async function storeProblem(store: ThreadStore): Promise<string | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`the store did not answer within ${storeAnswerMs} ms`), storeAnswerMs);
  });
  try {
    return await Promise.race([store.list({ limit: 1 }).then(() => undefined), late]);
  } catch (error) {
    return `the store failed: ${describeError(error)}`;
  } finally {
    clearTimeout(timer);
  }
}

/** The document is built on each request from the routes the app has, extensions' included. */
export function registerMetaRoutes(app: ApiApp, agents: readonly Agent[], readiness: { store: ThreadStore; drain: Drain }): void {
  app.openapi(healthRoute, (c) => c.json({ ok: true }, 200));
  app.openapi(readyRoute, async (c) => {
    if (readiness.drain.draining) return c.json({ ready: false, reason: "draining" }, 503);
    const problem = await storeProblem(readiness.store);
    return problem === undefined ? c.json({ ready: true }, 200) : c.json({ ready: false, reason: problem }, 503);
  });
  registerAgentsRoute(app, agents);
  // OpenAPI 3.1, whose schemas are JSON Schema 2020-12 like the ones core's event schema gives.
  app.get("/openapi.json", (c) => c.json(withThreadSchemas(app.getOpenAPI31Document(documentConfig))));
}
