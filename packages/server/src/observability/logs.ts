/**
 * Structured logs: one JSON line per HTTP request, per step, per retry, per recovery and per error
 * that stopped a thread, through one pino logger the server is given. `agentfold serve` makes it
 * (`createLogger`), with `AGENTFOLD_LOG_LEVEL`; a library user passes their own or none.
 *
 * Invariants: a line carries ids, names, statuses, counts and durations, never arguments, results,
 * request bodies, headers or prompts; text that may quote a credential (an error's message) goes
 * through core's `redactCredentials`, and pino's `redact` masks secret-looking keys besides.
 */
import type { Logger } from "pino";
import { ConfigurationError } from "agentfold";
import { describeError, redactCredentials } from "agentfold/runtime";
import type { Observation } from "./run-observations.ts";

export type { Logger } from "pino";

const levels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Keys whose values pino masks wherever a caller's object puts them (one level deep and at the top). */
export const redactedPaths = [
  "authorization",
  "apiKey",
  "password",
  "secret",
  "token",
  "*.authorization",
  "*.apiKey",
  "*.password",
  "*.secret",
  "*.token",
];

/**
 * A pino logger at `level` (default `AGENTFOLD_LOG_LEVEL`, else `info`), writing JSON lines to
 * `destination`: a stream, or a file descriptor (default 1, stdout; `agentfold serve` uses 2, so its
 * own output stays apart). pino loads here, not when the package is imported.
 *
 * @example
 * const logger = await createLogger({ level: "debug", destination: 2 });
 * const server = createServer({ store, agents, model, logger });
 */
export async function createLogger(
  options: { level?: string; destination?: import("pino").DestinationStream | number; pretty?: boolean } = {},
): Promise<Logger> {
  const level = options.level ?? process.env.AGENTFOLD_LOG_LEVEL ?? "info";
  if (!(levels as readonly string[]).includes(level)) {
    throw new ConfigurationError(`AGENTFOLD_LOG_LEVEL must be one of ${levels.join(", ")}; got "${level}".`);
  }
  const imported = await import("pino");
  const pino = ((imported as { default?: typeof imported.pino }).default ?? imported.pino) as typeof imported.pino;
  const settings = { level, base: { service: "agentfold" }, redact: { paths: redactedPaths, censor: "[redacted]" } };
  const { destination = 1 } = options;
  // Synchronous writes: a line is out before the process can die (the fault points kill it at once).
  const stream = typeof destination === "number" ? pino.destination({ fd: destination, sync: true }) : destination;
  return pino(settings, options.pretty ? prettyLines(stream) : stream);
}

const levelNames: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

/**
 * For a terminal: each JSON line as `12:00:03.120 INFO  request method=POST status=200 …`, the
 * same fields in the same order, masked the same way (this only reformats what pino wrote).
 */
function prettyLines(stream: import("pino").DestinationStream): import("pino").DestinationStream {
  return {
    write(line: string) {
      const {
        level,
        time,
        msg,
        pid: _pid,
        hostname: _hostname,
        service: _service,
        ...fields
      } = JSON.parse(line) as Record<string, unknown>;
      const clock = typeof time === "number" ? new Date(time).toISOString().slice(11, 23) : "";
      const pairs = Object.entries(fields).map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
      stream.write(
        `${clock} ${(levelNames[level as number] ?? String(level)).padEnd(5)} ${String(msg ?? "")}${pairs.length ? ` ${pairs.join(" ")}` : ""}\n`,
      );
    },
  };
}

/** An error as a log field: its name and message, credentials masked; never its cause's payload. */
export function errorField(error: unknown): { name: string; message: string } {
  return { name: error instanceof Error ? error.name : typeof error, message: redactCredentials(describeError(error)) };
}

/**
 * A sink for `createRunReader` that logs steps (info), retries and recoveries (warn), and model calls
 * and tool runs (debug).
 *
 * @example
 * runner.subscribeAll(createRunReader(createLogSink(logger)).observe);
 */
export function createLogSink(logger: Logger): (observation: Observation) => void {
  return (observation) => {
    const ids = { thread: observation.threadId, agent: observation.agent };
    switch (observation.kind) {
      case "step_ended":
        return logger.info({ ...ids, action: observation.action, durationMs: observation.endMs - observation.startMs }, "step");
      case "run_ended":
        return logger.info({ ...ids, status: observation.status, durationMs: observation.endMs - observation.startMs }, "run ended");
      case "model_retry":
        return logger.warn(
          {
            ...ids,
            model: observation.model,
            attempt: observation.attempt,
            waitMs: observation.waitMs,
            ...(observation.status ? { status: observation.status } : {}),
          },
          "model call retried",
        );
      case "recovery":
        return logger.warn({ ...ids, reason: observation.reason, callId: observation.callId, tool: observation.tool }, "recovery");
      case "model_call":
        return logger.debug(
          {
            ...ids,
            model: observation.model,
            durationMs: observation.endMs - observation.startMs,
            ...(observation.inputTokens === undefined
              ? {}
              : { inputTokens: observation.inputTokens, outputTokens: observation.outputTokens }),
            ...(observation.error ? { error: observation.error } : {}),
          },
          "model call",
        );
      case "tool_run":
        return logger.debug(
          {
            ...ids,
            tool: observation.tool,
            callId: observation.callId,
            attempt: observation.attempt,
            outcome: observation.outcome,
            durationMs: observation.endMs - observation.startMs,
          },
          "tool run",
        );
      case "run_started":
        return logger.debug(
          { ...ids, ...(observation.queueLagMs === undefined ? {} : { queueLagMs: observation.queueLagMs }) },
          "run started",
        );
      default:
        return;
    }
  };
}
