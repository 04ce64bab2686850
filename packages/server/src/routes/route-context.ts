/**
 * What the route modules share: the app's variables (who is calling, set by API-key auth before any
 * `/v1` route runs) and the server's pieces the routes work with.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Agent, Model, ThreadStore } from "agentfold";
import type { Caller } from "../api-keys.ts";
import type { Runner } from "../runner.ts";
import type { StreamLimits } from "../stream-limits.ts";

/** `actor` is the caller's name, the one recorded on the events a request appends. */
export type Env = { Variables: { actor: string; caller: Caller } };

export type ApiApp = OpenAPIHono<Env>;

/** Built once by `createServer`; routes read it and never change it. */
export interface RouteContext {
  readonly store: ThreadStore;
  readonly runner: Runner;
  readonly model: Model;
  /** The server's agents by name; `agentList` in the order given, for the one-agent default. */
  readonly agents: ReadonlyMap<string, Agent>;
  readonly agentList: readonly Agent[];
  /** Model specs a launch may name besides its agent's own. */
  readonly launchModels: readonly string[];
  /** How often waits and streams look for appends made by other processes. */
  readonly pollIntervalMs: number;
  readonly streamLimits: StreamLimits;
  /** Aborted when the server starts draining: open event streams end, and their clients reconnect elsewhere. */
  readonly streamsEnd: AbortSignal;
}
