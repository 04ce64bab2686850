/**
 * The retry policy every adapter shares. The AI SDK's own retries are not used (adapters call the
 * provider's `doGenerate`, which never retries), so this is the one place that decides: retry 408,
 * 409, 429, 5xx (including Anthropic's 529) and network failures and per-attempt timeouts, with
 * exponential backoff, full jitter and `Retry-After`; never retry other 4xx (auth, invalid request).
 */
import { ModelCallError } from "agentfold";

export interface RetryPolicy {
  /** Total attempts, the first included. Default 3. */
  maxAttempts: number;
  /** Delay before the first retry, doubled after each attempt. Default 500 ms. */
  initialDelayMs: number;
  /** Longest wait between two attempts, `Retry-After` included. Default 30 s. */
  maxDelayMs: number;
  /** Abandon one attempt after this long and retry it. Default 60 s; `0` turns it off. */
  attemptTimeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 3,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  attemptTimeoutMs: 60_000,
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
const networkCodes = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "UND_ERR_SOCKET", "EAI_AGAIN"]);

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

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && networkCodes.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Classifies anything an attempt threw: AI SDK `APICallError`s (status, headers), network errors,
 * and everything else (not retryable).
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
  };
  const message = typeof record.message === "string" ? record.message : String(error);
  if (typeof record.statusCode === "number") {
    const status = record.statusCode;
    const info: FailureInfo = { retryable: retryableStatuses.has(status) || status >= 500, status, message };
    const wait = retryAfterMs(record.responseHeaders);
    if (wait !== undefined) info.retryAfterMs = wait;
    return info;
  }
  const code = errorCode(error);
  if (code) return { retryable: true, message: `${message} (${code})` };
  if (error instanceof TypeError && /fetch failed|network|socket/i.test(message)) return { retryable: true, message };
  return { retryable: false, message };
}

/** Full-jitter exponential backoff, raised to `Retry-After` when the server asked for longer. */
export function backoffDelay(attempt: number, policy: RetryPolicy, failure: FailureInfo, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(random() * ceiling);
  const asked = failure.retryAfterMs ?? 0;
  return Math.min(policy.maxDelayMs, Math.max(jittered, asked));
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
  /** Deadline for the whole call, all attempts and waits included. */
  timeoutMs?: number | undefined;
  /** Names the model in error messages. */
  modelId: string;
  /** Called before each wait; handy for logs and tests. */
  onRetry?: ((info: { attempt: number; delayMs: number; failure: FailureInfo }) => void) | undefined;
}

/**
 * Runs `attempt` until it succeeds, fails for good, runs out of attempts or time, or is aborted.
 * Each attempt gets its own signal that fires on abort, on the overall deadline and on the
 * per-attempt timeout. Failures come out as `ModelCallError`.
 *
 * @example
 * const result = await withRetries((signal) => model.doGenerate({ ...options, abortSignal: signal }),
 *   defaultRetryPolicy, { modelId: "openai:gpt-4o-mini", timeoutMs: 30_000 });
 */
export async function withRetries<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  context: RetryContext,
): Promise<T> {
  const deadline = new AbortController();
  const stopDeadline =
    context.timeoutMs !== undefined && context.timeoutMs > 0
      ? setTimeout(() => deadline.abort(new AttemptTimeout(context.timeoutMs as number)), context.timeoutMs)
      : undefined;
  const callSignal = context.signal ? AbortSignal.any([context.signal, deadline.signal]) : deadline.signal;
  try {
    for (let number = 1; ; number++) {
      if (context.signal?.aborted) throw aborted(context);
      if (deadline.signal.aborted) throw timedOut(context, number - 1);
      const attemptController = new AbortController();
      const timer =
        policy.attemptTimeoutMs > 0
          ? setTimeout(() => attemptController.abort(new AttemptTimeout(policy.attemptTimeoutMs)), policy.attemptTimeoutMs)
          : undefined;
      let failure: FailureInfo;
      let cause: unknown;
      try {
        return await attempt(AbortSignal.any([callSignal, attemptController.signal]));
      } catch (error) {
        cause = error;
        if (context.signal?.aborted) throw aborted(context);
        if (deadline.signal.aborted) throw timedOut(context, number);
        failure = attemptController.signal.aborted
          ? { retryable: true, message: `attempt ${number} got no answer within ${policy.attemptTimeoutMs} ms` }
          : classifyFailure(error);
      } finally {
        if (timer) clearTimeout(timer);
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
    `Model ${context.modelId} gave no answer within the ${context.timeoutMs} ms timeout (${attempts} attempt${attempts === 1 ? "" : "s"}).`,
    { retryable: true },
  );
}
