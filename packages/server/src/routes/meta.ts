/** What the server says about itself: `GET /healthz`, `GET /v1/agents` and `GET /openapi.json`. */
import type { Agent } from "agentfold";
import { registerAgentsRoute } from "../agents-route.ts";
import { healthRoute } from "../api-routes.ts";
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

/** The document is built on each request from the routes the app has, extensions' included. */
export function registerMetaRoutes(app: ApiApp, agents: readonly Agent[]): void {
  app.openapi(healthRoute, (c) => c.json({ ok: true }, 200));
  registerAgentsRoute(app, agents);
  // OpenAPI 3.1, whose schemas are JSON Schema 2020-12 like the ones core's event schema gives.
  app.get("/openapi.json", (c) => c.json(withThreadSchemas(app.getOpenAPI31Document(documentConfig))));
}
