/**
 * Errors say whose fault it is and what to do. Messages are written so they can go straight back
 * into a context window or an HTTP error body.
 */

/** Base class of every error agentfold throws. `code` is stable; `message` is for people. */
export class AgentfoldError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The program using agentfold is misconfigured: fix the code or the configuration. */
export class ConfigurationError extends AgentfoldError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("configuration", message, options);
  }
}

/** Input from outside (an API call, a file, a human) is invalid. Maps to HTTP 400. */
export class InvalidInputError extends AgentfoldError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("invalid_input", message, options);
  }
}

/** A saved thread cannot be loaded: malformed, or written by a newer schema version. */
export class ThreadFormatError extends AgentfoldError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("thread_format", message, options);
  }
}

/**
 * An action does not fit the thread's current state (approving a call that is not pending, answering
 * twice). Maps to HTTP 409; the message says what the current state is.
 */
export class StateConflictError extends AgentfoldError {
  constructor(message: string) {
    super("conflict", message);
  }
}

/** Calling the model failed (network, provider, timeout) after any retries. */
export class ModelCallError extends AgentfoldError {
  readonly retryable: boolean;
  readonly status: number | undefined;
  constructor(message: string, options: { retryable: boolean; status?: number; cause?: unknown }) {
    super("model_call", message, { cause: options.cause });
    this.retryable = options.retryable;
    this.status = options.status;
  }
}

/** Something that should not happen did: a bug in agentfold or a store that broke its contract. */
export class InternalError extends AgentfoldError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("internal", message, options);
  }
}

/** Turns anything thrown into a compact message fit for an error event (first line, at most 500 characters). */
export function describeError(error: unknown): string {
  let text: string;
  if (error instanceof Error && Array.isArray((error as { issues?: unknown }).issues)) {
    text = formatIssues((error as unknown as { issues: IssueLike[] }).issues);
  } else if (error instanceof Error) {
    text = error.message || error.name;
  } else if (typeof error === "string") {
    text = error;
  } else {
    try {
      text = JSON.stringify(error) ?? String(error);
    } catch {
      text = String(error);
    }
  }
  const line = text.split("\n").find((part) => part.trim() !== "") ?? text;
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

interface IssueLike {
  path: readonly PropertyKey[];
  message: string;
}

/** Zod issues as one line: `path: message; path: message`. */
export function formatIssues(issues: readonly IssueLike[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.map(String).join(".") : "(root)"}: ${issue.message}`)
    .join("; ");
}
