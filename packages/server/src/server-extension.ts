/**
 * Extensions plug extra routes and background work into a server: human channels (Slack, email,
 * webhooks) and triggers (schedules). The server knows only this interface, never the extensions.
 */
import type { Agent, ThreadStore } from "agentfold";
import type { Hono } from "hono";
import type { Runner } from "./runner.ts";

/** What an extension gets when the server mounts it. */
export interface ServerExtensionContext {
  /**
   * The server's app. Routes added here run before API-key auth: an extension authenticates its own
   * requests (e.g. by signature), because Slack or a mail relay cannot send the server's API keys.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the app's env type is the server's own; extensions only add plain routes
  app: Hono<any>;
  runner: Runner;
  store: ThreadStore;
  /** The server's agents, by name. */
  agents: ReadonlyMap<string, Agent>;
}

/**
 * Adds routes and subscribes to the runner. `startServer` calls `start()` after the runner starts and
 * `close()` before the runner closes; with `createServer` alone, call them yourself.
 *
 * @example
 * const hello: ServerExtension = {
 *   name: "hello",
 *   mount: ({ app }) => app.get("/v1/hello", (c) => c.text("hi")),
 * };
 * createServer({ store, agents, model, extensions: [hello] });
 */
export interface ServerExtension {
  readonly name: string;
  mount(context: ServerExtensionContext): void;
  start?(): Promise<void>;
  close?(): Promise<void>;
}
