/**
 * @agentfold/server: the HTTP API v1 and the runner that advances threads, one runner per thread
 * at a time, across processes.
 */

// The HTTP API
export { createServer, type RouteGroup, type Server, type ServerOptions } from "./create-server.ts";
export { startServer, resolveServerModel, type StartServerOptions, type RunningServer } from "./start-server.ts";
export { ApiError, errorResponse, type ErrorBody } from "./http-errors.ts";
/** Core's class, re-exported: a 409 `thread_busy` is this error. */
export { ThreadBusyError } from "agentfold/runtime";
export { parseApiKeys, type ApiKeys } from "./api-keys.ts";
export type { ServerExtension, ServerExtensionContext } from "./server-extension.ts";

// The runner
export {
  createRunner,
  type Runner,
  type RunnerOptions,
  type AdvanceOutcome,
  type LeaseTakeover,
  type ThreadChange,
} from "./runner.ts";

// Observability: spans and /metrics need no setup; logs need a logger
export { createLogger, type Logger } from "./observability/logs.ts";
