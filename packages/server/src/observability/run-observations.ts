/**
 * What the runner did, read from the events it appends: runs, steps, model calls, tool runs,
 * retries and recoveries, each with its times. Spans, metrics and log lines are all made from these
 * observations (tracing.ts, metrics.ts, run-logs.ts), so the three never disagree, and the step
 * itself carries no telemetry code: every time needed is already on the events (`at`, a decision's
 * `latencyMs`), written before the next effect.
 *
 * Invariants: an observation is made only from stored events (listeners hear appends after they are
 * stored); each event is read once per process; a run is this process's work on a thread from its
 * first appended event until the thread stops `running`; only threads that are running are held in
 * memory. A thread first seen mid-history is read from the events after its last person's action
 * (a launch, an approval, an answer) that are newer than this reader, so a restarted process never
 * reports another process's work again.
 */
import type { Thread } from "agentfold";

type ThreadEvent = Thread["events"][number];

export interface RunRef {
  threadId: string;
  agent: string;
}

/** One thing the runner did. Times are milliseconds since the epoch, from the events. */
export type Observation =
  | (RunRef & { kind: "run_started"; startMs: number; queueLagMs: number | undefined; trigger: string | undefined })
  | (RunRef & { kind: "run_ended"; startMs: number; endMs: number; status: string })
  | (RunRef & { kind: "step_started"; action: StepAction; startMs: number })
  | (RunRef & { kind: "step_ended"; action: StepAction; startMs: number; endMs: number })
  | (RunRef & {
      kind: "model_call";
      model: string;
      startMs: number;
      endMs: number;
      inputTokens: number | undefined;
      outputTokens: number | undefined;
      cost: number | undefined;
      retries: readonly RetryMark[];
      /** `model_call` (the call failed), `model_output` (unusable reply) or a `failed` code. */
      error: string | undefined;
    })
  | (RunRef & { kind: "model_retry"; model: string; atMs: number; attempt: number; waitMs: number; status: number | undefined })
  | (RunRef & {
      kind: "tool_run";
      tool: string;
      callId: string;
      attempt: number;
      startMs: number;
      endMs: number;
      /** `tool_error`, or `child_paused` for a child agent now waiting for a person. */
      outcome: "ok" | "tool_error" | "child_paused";
    })
  | (RunRef & { kind: "recovery"; reason: "tool_rerun" | "outcome_unknown"; callId: string; tool: string; atMs: number })
  | (RunRef & { kind: "mark"; name: string; atMs: number; attributes: Record<string, string | number | boolean> });

export type StepAction = "decide" | "run_tool";

/** Events a person (or a channel, or the API) adds: they start runs and are not the runner's work. */
const personEvents = new Set<string>(["user_input", "approval_decision", "human_response", "resumed", "cancel"]);

interface RetryMark {
  atMs: number;
  attempt: number;
  waitMs: number;
  status: number | undefined;
  message: string;
}

interface OpenRun {
  seen: number;
  ref: RunRef;
  /** The person's event this run answers (a launch, an approval, an answer), if this process saw the run begin. */
  trigger: ThreadEvent | undefined;
  startMs: number | undefined;
  step: { action: StepAction; startMs: number } | undefined;
  tools: Map<string, { tool: string; attempt: number; startMs: number }>;
  retries: RetryMark[];
  /** When the call being retried began: the time of the event stored right before its first retry. */
  callStartMs: number;
  model: string | undefined;
  /** The time of the last event read (`seen - 1`): each event's time is parsed once. */
  lastMs: number | undefined;
}

const timeOf = (event: ThreadEvent): number => Date.parse(event.at);

/** Where a thread first seen in this process starts being this process's work. */
function firstUnseen(thread: Thread, readerStartMs: number): number {
  let index = thread.version;
  while (index > 0) {
    const event = thread.eventAt(index - 1)!;
    if (personEvents.has(event.type) || timeOf(event) < readerStartMs) break;
    index--;
  }
  return index;
}

/**
 * A function to call with each thread this process appended to; it hands `emit` what the new
 * events show. `close` ends the runs still open (a lost lease, a closing process) at `nowMs`.
 *
 * @example
 * const read = createRunReader((observation) => console.log(observation.kind));
 * runner.subscribeAll(read.observe);
 */
export function createRunReader(emit: (observation: Observation) => void, readerStartMs = Date.now()) {
  const open = new Map<string, OpenRun>();

  function endRun(run: OpenRun, endMs: number, status: string): void {
    if (run.step) emit({ ...run.ref, kind: "step_ended", action: run.step.action, startMs: run.step.startMs, endMs });
    if (run.startMs !== undefined) emit({ ...run.ref, kind: "run_ended", startMs: run.startMs, endMs, status });
    open.delete(run.ref.threadId);
  }

  function observe(thread: Thread): void {
    let run = open.get(thread.id);
    if (!run) {
      const seen = firstUnseen(thread, readerStartMs);
      if (seen === thread.version) return;
      const ref = { threadId: thread.id, agent: thread.agent ?? "unknown" };
      const before = thread.eventAt(seen - 1);
      const trigger = before && personEvents.has(before.type) ? before : undefined;
      const lastMs = before ? timeOf(before) : undefined;
      run = {
        seen,
        ref,
        trigger,
        startMs: undefined,
        step: undefined,
        tools: new Map(),
        retries: [],
        callStartMs: 0,
        model: undefined,
        lastMs,
      };
      open.set(thread.id, run);
    }
    // `eventAt`, not `events`: the array is made on first read, O(events) for every append.
    let previousMs = run.lastMs;
    for (let index = run.seen; index < thread.version; index++) {
      previousMs = readEvent(run, thread.eventAt(index)!, previousMs, emit);
    }
    run.seen = thread.version;
    run.lastMs = previousMs;
    if (thread.status !== "running" && previousMs !== undefined) endRun(run, previousMs, thread.status);
  }

  return {
    observe,
    /** Ends every open run (and its step) at `nowMs`, with status `stopped`. */
    close(nowMs = Date.now()): void {
      for (const run of [...open.values()]) endRun(run, nowMs, "stopped");
    },
  };
}

function startRun(run: OpenRun, startMs: number, emit: (o: Observation) => void): void {
  if (run.startMs !== undefined) return;
  run.startMs = startMs;
  const { trigger } = run;
  emit({
    ...run.ref,
    kind: "run_started",
    startMs,
    queueLagMs: trigger ? Math.max(0, startMs - timeOf(trigger)) : undefined,
    trigger: trigger?.type,
  });
}

function startStep(run: OpenRun, action: StepAction, startMs: number, emit: (o: Observation) => void): void {
  if (run.step) emit({ ...run.ref, kind: "step_ended", action: run.step.action, startMs: run.step.startMs, endMs: startMs });
  run.step = { action, startMs };
  emit({ ...run.ref, kind: "step_started", action, startMs });
}

/** A model call that ended at `endMs` with `event`: its span, its step, its retries. */
function modelCall(
  run: OpenRun,
  startMs: number,
  endMs: number,
  fields: {
    model: string;
    usage?: { inputTokens: number; outputTokens: number; cost?: number | undefined } | undefined;
    error: string | undefined;
  },
  emit: (o: Observation) => void,
): void {
  startRun(run, startMs, emit);
  startStep(run, "decide", startMs, emit);
  emit({
    ...run.ref,
    kind: "model_call",
    model: fields.model,
    startMs,
    endMs,
    inputTokens: fields.usage?.inputTokens,
    outputTokens: fields.usage?.outputTokens,
    cost: fields.usage?.cost,
    retries: run.retries,
    error: fields.error,
  });
  run.retries = [];
}

/** Reads one event, given the time of the one before it (if any); returns the event's time. */
function readEvent(run: OpenRun, event: ThreadEvent, previousAt: number | undefined, emit: (o: Observation) => void): number {
  const atMs = timeOf(event);
  // Everything before an effect is committed first (step.ts), so the event before a model call or
  // a tool run was stored right before it started.
  const previousMs = previousAt ?? atMs;
  readEventAt(run, event, atMs, previousMs, emit);
  return atMs;
}

function readEventAt(run: OpenRun, event: ThreadEvent, atMs: number, previousMs: number, emit: (o: Observation) => void): void {
  switch (event.type) {
    case "model_call_retried": {
      const retry = { atMs, attempt: event.attempt, waitMs: event.waitMs, status: event.status, message: event.message };
      if (run.retries.length === 0) {
        run.model = event.model;
        run.callStartMs = previousMs;
      }
      run.retries.push(retry);
      emit({
        ...run.ref,
        kind: "model_retry",
        model: event.model,
        atMs,
        attempt: retry.attempt,
        waitMs: retry.waitMs,
        status: retry.status,
      });
      return;
    }
    case "model_decision": {
      const startMs = atMs - (event.latencyMs ?? 0);
      modelCall(run, startMs, atMs, { model: event.model ?? run.model ?? "unknown", usage: event.usage, error: undefined }, emit);
      return;
    }
    case "error":
      if (event.source === "tool") {
        toolEnded(run, event.callId ?? "", event.intent ?? "", atMs, previousMs, "tool_error", emit);
        return;
      }
      modelCall(run, firstCallStart(run, previousMs), atMs, { model: run.model ?? "unknown", error: event.source }, emit);
      return;
    case "failed":
      if (event.code) modelCall(run, firstCallStart(run, previousMs), atMs, { model: run.model ?? "unknown", error: event.code }, emit);
      mark(run, "failed", atMs, { reason: event.code ?? "runner" }, emit);
      return;
    case "tool_started":
      startRun(run, atMs, emit);
      if (!run.step) startStep(run, "run_tool", atMs, emit);
      run.tools.set(event.callId, { tool: event.intent, attempt: event.attempt ?? 1, startMs: atMs });
      if ((event.attempt ?? 1) > 1)
        emit({ ...run.ref, kind: "recovery", reason: "tool_rerun", callId: event.callId, tool: event.intent, atMs });
      return;
    case "tool_result":
      toolEnded(run, event.callId, event.intent, atMs, previousMs, "ok", emit);
      return;
    case "child_paused":
      toolEnded(run, event.callId, "", atMs, previousMs, "child_paused", emit);
      return;
    case "approval_requested":
      mark(run, "approval_requested", atMs, { "gen_ai.tool.name": event.intent, "gen_ai.tool.call.id": event.callId }, emit);
      return;
    case "human_request":
      if (event.reason === "outcome_unknown") {
        emit({ ...run.ref, kind: "recovery", reason: "outcome_unknown", callId: event.callId, tool: event.intent ?? "", atMs });
      }
      mark(run, "human_request", atMs, { reason: event.reason }, emit);
      return;
    default:
      mark(run, event.type, atMs, {}, emit);
      return;
  }
}

/** A failed call began before its first retry when it had one, else right after the previous event. */
function firstCallStart(run: OpenRun, previousMs: number): number {
  return run.retries.length > 0 ? run.callStartMs : previousMs;
}

function toolEnded(
  run: OpenRun,
  callId: string,
  intent: string,
  atMs: number,
  previousMs: number,
  outcome: "ok" | "tool_error" | "child_paused",
  emit: (o: Observation) => void,
): void {
  // A prefetched result has no `tool_started`: its run began after the event before it.
  const started = run.tools.get(callId) ?? { tool: intent, attempt: 1, startMs: previousMs };
  run.tools.delete(callId);
  startRun(run, started.startMs, emit);
  if (!run.step) startStep(run, "run_tool", started.startMs, emit);
  emit({
    ...run.ref,
    kind: "tool_run",
    tool: started.tool || intent,
    callId,
    attempt: started.attempt,
    startMs: started.startMs,
    endMs: atMs,
    outcome,
  });
}

function mark(
  run: OpenRun,
  name: string,
  atMs: number,
  attributes: Record<string, string | number | boolean>,
  emit: (o: Observation) => void,
): void {
  emit({ ...run.ref, kind: "mark", name, atMs, attributes });
}
