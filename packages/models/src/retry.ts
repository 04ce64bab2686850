/**
 * The retry policy every adapter shares. The AI SDK's own retries are not used (adapters call the
 * provider's `doStream`, which never retries), so this is the one place that decides: retry 408,
 * 409, 429, 5xx (including Anthropic's 529, but not 501 and 505, which are not transient), network
 * failures (connection resets and refusals, connect timeouts, DNS failures) and per-attempt timeouts,
 * with exponential backoff, full jitter and `Retry-After`; never retry other 4xx (auth, invalid
 * request).
 */
import { ModelCallError } from "agentfold";

export interface RetryPolicy {
  /** Total attempts, the first included. Default 3. */
  maxAttempts: number;
  /** Delay before the first retry, doubled after each attempt. Default 500 ms. */
  initialDelayMs: number;
  /**
   * Longest backoff between two attempts. Default 30 s. A longer `Retry-After` is not shortened
   * (retrying early only earns another 429): it is waited for in full if it ends before the call's
   * deadline, else the call fails at once with a message giving the wait.
   */
  maxDelayMs: number;
  /**
   * Longest `Retry-After` waited for when the call has no deadline (`timeoutMs`). Default 2 min, so a
   * provider asking for hours (a daily quota) fails the call instead of hanging it.
   */
  maxRetryAfterMs: number;
  /**
   * Abandon one attempt when nothing arrives for this long: no first piece of the reply since the
   * request was sent, or no next piece since the last one. Adapters stream, so a long reply that
   * keeps arriving is never cut; an adapter that cannot report pieces has its whole reply bounded.
   * 60 s leaves room for a model that thinks before it writes. A timed-out attempt is tried again
   * only when a whole attempt still fits before the call's deadline. Default 60 s; `0` turns it off.
   */
  attemptTimeoutMs: number;
  /**
   * The call's deadline, attempts and waits included, when the request gives none (`timeoutMs`):
   * a hung or failing provider surfaces within it. It bounds the wait for a reply to start: once a
   * piece of the reply arrives it is lifted, and `attemptTimeoutMs` watches the stream instead. A
   * request's own `timeoutMs` is never lifted. Default 90 s; `0` turns it off (then
   * `maxRetryAfterMs` bounds a `Retry-After`).
   */
  callTimeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 3,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
  attemptTimeoutMs: 60_000,
  callTimeoutMs: 90_000,
};

/** What went wrong in one attempt, as far as retrying is concerned. */
export interface FailureInfo {
  retryable: boolean;
  status?: number;
  /** Milliseconds the server asked us to wait (`Retry-After`, `retry-after-ms`). */
  retryAfterMs?: number;
  message: string;
}

const retryableStatuses = new Set([408, 409, 429, 500, 502, 503, 504, 529]);
/** 5xx answers that will not change on a retry: the server does not support the method or HTTP version. */
const permanentServerStatuses = new Set([501, 505]);
const networkCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/**
 * Reads `Retry-After` (seconds or an HTTP date) or `retry-after-ms` from response headers.
 *
 * @example
 * retryAfterMs({ "retry-after": "2" }); // 2000
 */
export function retryAfterMs(headers: Record<string, string> | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const lower: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) lower[key.toLowerCase()] = value;
  const milliseconds = Number(lower["retry-after-ms"]);
  if (lower["retry-after-ms"] !== undefined && Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const value = lower["retry-after"];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The first error code (`ECONNRESET`, `UND_ERR_CONNECT_TIMEOUT`…) in the cause chain, known or not. */
function errorCode(error: unknown): { code: string; network: boolean } | undefined {
  let current: unknown = error;
  let first: string | undefined;
  for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      if (networkCodes.has(code)) return { code, network: true };
      first ??= code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return first === undefined ? undefined : { code: first, network: false };
}

/**
 * Classifies anything an attempt threw. With an HTTP status, our status rules decide. Without one
 * (the request never got an answer), an AI SDK `APICallError` marked `isRetryable` is retried (the SDK
 * sets it for connection failures: connect timeouts, DNS errors, resets), as are known network error
 * codes; everything else is not.
 *
 * @example
 * classifyFailure(apiCallErrorWith429).retryable; // true
 */
export function classifyFailure(error: unknown): FailureInfo {
  const record = (error && typeof error === "object" ? error : {}) as {
    statusCode?: unknown;
    responseHeaders?: Record<string, string>;
    message?: unknown;
    name?: unknown;
    isRetryable?: unknown;
  };
  const message = typeof record.message === "string" ? record.message : String(error);
  if (typeof record.statusCode === "number") {
    const status = record.statusCode;
    const retryable = retryableStatuses.has(status) || (status >= 500 && !permanentServerStatuses.has(status));
    const info: FailureInfo = { retryable, status, message };
    const wait = retryAfterMs(record.responseHeaders);
    if (wait !== undefined) info.retryAfterMs = wait;
    return info;
  }
  const code = errorCode(error);
  const withCode = code && !message.includes(code.code) ? `${message} (${code.code})` : message;
  if (record.isRetryable === true || code?.network) return { retryable: true, message: withCode };
  if (error instanceof TypeError && /fetch failed|network|socket/i.test(message)) return { retryable: true, message };
  return { retryable: false, message };
}

/**
 * Full-jitter exponential backoff capped at `maxDelayMs`, raised to `Retry-After` when the server
 * asked for longer (even beyond the cap: `withRetries` decides whether there is time for it).
 *
 * @example
 * backoffDelay(1, defaultRetryPolicy, { retryable: true, message: "", retryAfterMs: 45_000 }); // 45000
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, failure: FailureInfo, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(random() * ceiling);
  return Math.max(jittered, failure.retryAfterMs ?? 0);
}

class AttemptTimeout extends Error {
  constructor(milliseconds: number) {
    super(`no answer within ${milliseconds} ms`);
    this.name = "AttemptTimeout";
  }
}

function sleep(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, milliseconds);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export interface RetryContext {
  /** The caller's signal: aborting stops at once, without retrying. */
  signal?: AbortSignal | undefined;
  /** Deadline for the whole call, all attempts and waits included; else the policy's `callTimeoutMs`. */
  timeoutMs?: number | undefined;
  /** Names the model in error messages. */
  modelId: string;
  /** Called before each wait; handy for logs and tests. */
  onRetry?: ((info: { attempt: number; delayMs: number; failure: FailureInfo }) => void) | undefined;
}

/**
 * Runs `attempt` until it succeeds, fails for good, runs out of attempts or time, or is aborted.
 * Each attempt gets its own signal that fires on abort, on the overall deadline and on the
 * per-attempt idle timeout, and a `progress` function to call as pieces of the reply arrive: it
 * restarts the idle timer and lifts the policy's call deadline (never the caller's `timeoutMs`).
 * Failures come out as `ModelCallError`.
 *
 * @example
 * const result = await withRetries((signal) => model.doGenerate({ ...options, abortSignal: signal }),
 *   defaultRetryPolicy, { modelId: "openai:gpt-4o-mini", timeoutMs: 30_000 });
 */
export async function withRetries<T>(
  attempt: (signal: AbortSignal, progress: () => void) => Promise<T>,
  policy: RetryPolicy,
  given: RetryContext,
): Promise<T> {
  const context: RetryContext = { ...given, timeoutMs: given.timeoutMs ?? policy.callTimeoutMs };
  const deadline = new AbortController();
  let stopDeadline =
    context.timeoutMs !== undefined && context.timeoutMs > 0
      ? setTimeout(() => deadline.abort(new AttemptTimeout(context.timeoutMs as number)), context.timeoutMs)
      : undefined;
  // The policy's deadline bounds the wait for a reply to start; the caller's bounds the whole call.
  const liftDeadline = () => {
    if (given.timeoutMs !== undefined || stopDeadline === undefined) return;
    clearTimeout(stopDeadline);
    stopDeadline = undefined;
    context.timeoutMs = undefined;
  };
  const callSignal = context.signal ? AbortSignal.any([context.signal, deadline.signal]) : deadline.signal;
  const startedAt = performance.now();
  try {
    for (let number = 1; ; number++) {
      if (context.signal?.aborted) throw aborted(context);
      if (deadline.signal.aborted) throw timedOut(context, number - 1);
      const attemptController = new AbortController();
      const timer =
        policy.attemptTimeoutMs > 0
          ? setTimeout(() => attemptController.abort(new AttemptTimeout(policy.attemptTimeoutMs)), policy.attemptTimeoutMs)
          : undefined;
      let streaming = false;
      // Each piece of the reply restarts the attempt's idle timer (refresh keeps the same timer).
      const progress = () => {
        streaming = true;
        timer?.refresh();
        liftDeadline();
      };
      let failure: FailureInfo;
      let cause: unknown;
      try {
        return await attempt(AbortSignal.any([callSignal, attemptController.signal]), progress);
      } catch (error) {
        cause = error;
        if (context.signal?.aborted) throw aborted(context);
        if (deadline.signal.aborted) throw timedOut(context, number);
        failure = attemptController.signal.aborted
          ? {
              retryable: true,
              message: streaming
                ? `attempt ${number} stopped sending its reply for ${seconds(policy.attemptTimeoutMs)}`
                : `attempt ${number} got no answer within ${seconds(policy.attemptTimeoutMs)}`,
            }
          : classifyFailure(error);
      } finally {
        if (timer) clearTimeout(timer);
      }
      if (attemptController.signal.aborted && number < policy.maxAttempts) {
        const noRoom = noRoomForAttempt(policy, context, performance.now() - startedAt);
        if (noRoom) {
          throw new ModelCallError(`Model ${context.modelId} failed: ${failure.message}; ${noRoom}`, { retryable: true, cause });
        }
      }
      if (!failure.retryable || number >= policy.maxAttempts) {
        const attempts = number === 1 ? "" : ` after ${number} attempts`;
        throw new ModelCallError(`Model ${context.modelId} failed${attempts}: ${failure.message}${advice(failure.status)}`, {
          retryable: failure.retryable,
          ...(failure.status !== undefined ? { status: failure.status } : {}),
          cause,
        });
      }
      const delayMs = backoffDelay(number, policy, failure);
      if (failure.retryAfterMs !== undefined) {
        const tooLong = retryAfterTooLong(failure.retryAfterMs, policy, context, performance.now() - startedAt);
        if (tooLong) {
          throw new ModelCallError(`Model ${context.modelId} failed: ${failure.message.replace(/\.$/, "")}. ${tooLong}`, {
            retryable: true,
            ...(failure.status !== undefined ? { status: failure.status } : {}),
            cause,
          });
        }
      }
      context.onRetry?.({ attempt: number, delayMs, failure });
      try {
        await sleep(delayMs, callSignal);
      } catch {
        if (context.signal?.aborted) throw aborted(context);
        throw timedOut(context, number);
      }
    }
  } finally {
    if (stopDeadline) clearTimeout(stopDeadline);
  }
}

function seconds(milliseconds: number): string {
  return milliseconds < 1_000 ? `${Math.round(milliseconds)} ms` : `${Math.round(milliseconds / 100) / 10} s`;
}

/** Why a timed-out attempt is not tried again before the call's deadline, or undefined when it is. */
function noRoomForAttempt(policy: RetryPolicy, context: RetryContext, elapsedMs: number): string | undefined {
  if (context.timeoutMs === undefined || context.timeoutMs <= 0) return undefined;
  const leftMs = context.timeoutMs - elapsedMs;
  if (leftMs >= policy.attemptTimeoutMs) return undefined;
  return `another attempt would not fit in the ${seconds(Math.max(0, leftMs))} left of the call's ${seconds(context.timeoutMs)} deadline, so it was not tried. Check that the provider is up, or give calls more time (retry: { attemptTimeoutMs, callTimeoutMs }).`;
}

/** Why a `Retry-After` cannot be waited for, or undefined when it can. */
function retryAfterTooLong(waitMs: number, policy: RetryPolicy, context: RetryContext, elapsedMs: number): string | undefined {
  const asked = `The provider asked to wait ${seconds(waitMs)} before retrying (Retry-After)`;
  const advice = "Try again later, give the call more time, or add a fallback model.";
  if (context.timeoutMs !== undefined && context.timeoutMs > 0) {
    const leftMs = context.timeoutMs - elapsedMs;
    if (waitMs < leftMs) return undefined;
    return `${asked}, longer than the ${seconds(Math.max(0, leftMs))} left of the call's ${seconds(context.timeoutMs)} timeout, so it was not retried. ${advice}`;
  }
  if (waitMs <= Math.max(policy.maxDelayMs, policy.maxRetryAfterMs)) return undefined;
  return `${asked}, longer than the ${seconds(policy.maxRetryAfterMs)} a call without a timeout waits (maxRetryAfterMs), so it was not retried. ${advice}`;
}

function advice(status: number | undefined): string {
  if (status === 401 || status === 403) return " Check the API key (and that it may use this model).";
  if (status === 404) return " Check the model name and the base URL.";
  if (status === 400 || status === 422) return " The provider rejected the request as invalid; it will not be retried.";
  return "";
}

function aborted(context: RetryContext): ModelCallError {
  return new ModelCallError(`Call to model ${context.modelId} was aborted.`, { retryable: false, cause: context.signal?.reason });
}

function timedOut(context: RetryContext, attempts: number): ModelCallError {
  return new ModelCallError(
    `Model ${context.modelId} gave no answer within the call's ${seconds(context.timeoutMs ?? 0)} deadline (${attempts} attempt${attempts === 1 ? "" : "s"}).`,
    { retryable: true },
  );
}
