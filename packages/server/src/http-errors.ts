/**
 * Errors as HTTP responses: every error body is `{ "error": { "code", "message" } }`, and the status
 * says whose fault it is (4xx: the request; 5xx: the server).
 */
import { AgentfoldError, InvalidInputError, StateConflictError, ThreadFormatError } from "agentfold";
import { StoreUnavailableError, ThreadBusyError, ThreadNotFoundError, VersionConflictError } from "agentfold/runtime";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** An error the API reports with a given status and code. */
export class ApiError extends AgentfoldError {
  readonly status: ContentfulStatusCode;
  /** Response headers that go with the error, e.g. `Retry-After` on a 429. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  constructor(status: ContentfulStatusCode, code: string, message: string, headers?: Readonly<Record<string, string>>) {
    super(code, message);
    this.status = status;
    this.headers = headers;
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

/** The status and body for anything thrown while handling a request. */
export function errorResponse(error: unknown): { status: ContentfulStatusCode; body: ErrorBody; headers?: Record<string, string> } {
  const body = (code: string, message: string): ErrorBody => ({ error: { code, message } });
  // The database is away (a restart, a network cut): nothing was decided, so the client retries.
  if (error instanceof StoreUnavailableError) {
    return { status: 503, body: body(error.code, error.message), headers: { "Retry-After": String(error.retryAfterSeconds) } };
  }
  if (error instanceof ApiError) {
    return { status: error.status, body: body(error.code, error.message), ...(error.headers ? { headers: { ...error.headers } } : {}) };
  }
  if (error instanceof ThreadNotFoundError) return { status: 404, body: body("not_found", error.message) };
  if (error instanceof InvalidInputError || error instanceof ThreadFormatError) {
    return { status: 400, body: body("invalid_request", error.message) };
  }
  // ThreadBusyError (core's): another process held the thread's lease for longer than a request may wait.
  if (error instanceof StateConflictError || error instanceof VersionConflictError || error instanceof ThreadBusyError) {
    return { status: 409, body: body(error.code, error.message) };
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    if (status === 413)
      return { status, body: body("payload_too_large", "The request body is larger than the server accepts; send less.") };
    if (status === 415)
      return { status, body: body("unsupported_media_type", 'Send the body as JSON with "Content-Type: application/json".') };
    if (status === 400) return { status, body: body("invalid_json", `${error.message || "Bad request"}: send a valid JSON body.`) };
    return { status, body: body("http_error", error.message || "Request failed.") };
  }
  return { status: 500, body: body("internal", "The server failed while handling this request; see its log.") };
}
