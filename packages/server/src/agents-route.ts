/**
 * `GET /v1/agents`: the agents a server runs and their tools, with each tool's JSON Schema, so clients
 * (the web inbox among them) can build forms for editing arguments before approving a call.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Agent } from "agentfold";

const toolView = z
  .object({
    intent: z.string(),
    description: z.string(),
    kind: z.enum(["action", "human", "finish", "handoff"]),
    handoffTo: z.string().optional().openapi({ description: "For a handoff tool: the agent that takes the conversation over." }),
    parameters: z.record(z.string(), z.unknown()).openapi({ description: "JSON Schema of the arguments." }),
    approval: z
      .enum(["required", "never", "conditional"])
      .openapi({ description: '"conditional": a predicate over the arguments and thread decides.' }),
  })
  .openapi("Tool");

const agentView = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    model: z
      .string()
      .nullable()
      .openapi({ description: "The model spec the agent runs with unless the server or the launch names another." }),
    tools: z.array(toolView),
  })
  .openapi("Agent");

export const agentsRoute = createRoute({
  method: "get",
  path: "/v1/agents",
  summary: "The agents this server runs, with their tools' argument schemas",
  responses: {
    200: { description: "The agents.", content: { "application/json": { schema: z.object({ agents: z.array(agentView) }) } } },
    401: {
      description: "An API key is required (Authorization: Bearer <key>).",
      content: { "application/json": { schema: z.object({ error: z.object({ code: z.string(), message: z.string() }) }) } },
    },
  },
});

/** The agents as the route returns them. */
export function describeAgents(agents: readonly Agent[]): z.infer<typeof agentView>[] {
  return agents.map((agent) => ({
    name: agent.name,
    description: agent.description ?? null,
    model: agent.model ?? null,
    tools: agent.tools.map((tool) => ({
      intent: tool.intent,
      description: tool.description,
      kind: tool.kind,
      ...(tool.handoffTo === undefined ? {} : { handoffTo: tool.handoffTo }),
      parameters: tool.parameters,
      approval: typeof tool.approval === "function" ? "conditional" : tool.approval,
    })),
  }));
}

/**
 * Registers `GET /v1/agents` on an app.
 *
 * @example
 * registerAgentsRoute(app, [calculator]);
 */
// biome-ignore lint: the route only reads; any app variables are fine.
export function registerAgentsRoute(app: OpenAPIHono<any>, agents: readonly Agent[]): void {
  const body = { agents: describeAgents(agents) };
  app.openapi(agentsRoute, (c) => c.json(body, 200));
}
