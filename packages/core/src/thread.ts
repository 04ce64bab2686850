/**
 * `Thread`: an immutable, append-only list of events plus what is derived from them.
 *
 * The thread is the only state of an agent. It serializes to JSON and back losslessly; the JSON
 * carries `schemaVersion`, and loading a malformed or newer thread fails with a clear error.
 */
import { systemClock, newId, type Clock } from "./clock.ts";
import { InvalidInputError, ThreadFormatError, StateConflictError, formatIssues } from "./errors.ts";
import { eventSchemas, type Event, type JsonValue, type NewEvent } from "./event-schema.ts";
import { emptyThreadState, reduceThreadState, statusOf, type PendingItem, type ThreadState, type ThreadStatus } from "./thread-state.ts";
import { z } from "zod";
import { safeParse } from "./first-parses.ts";

/**
 * The version of the thread JSON format this code writes. Older versions keep loading. A new event
 * type is a new version: a reader that does not know the type then refuses the thread as "written by
 * a newer agentfold" instead of failing on an unknown event, and a rolling deploy says what to do.
 *
 * 2 added model_call_retried, model_warning, resumed, timer_set, timer_fired, deadline_passed, handoff
 * and tools_listed.
 */
export const THREAD_SCHEMA_VERSION = 2;

export interface ThreadJson {
  schemaVersion: number;
  id: string;
  agent?: string;
  metadata?: Record<string, JsonValue>;
  events: Event[];
}

export interface ThreadOptions {
  id?: string;
  agent?: string;
  metadata?: Record<string, JsonValue>;
}

/** The thread's own schemas, built on first use like the event schemas (see `event-schema.ts`). */
function buildThreadSchemas() {
  const { jsonValue } = eventSchemas();
  const threadId = z.string().min(1).max(200);
  return {
    options: z.object({
      id: threadId.optional(),
      agent: z.string().min(1).max(200).optional(),
      metadata: z.record(z.string(), jsonValue).optional(),
    }),
    json: z.object({
      schemaVersion: z.number().int().positive(),
      id: threadId,
      agent: z.string().optional(),
      metadata: z.record(z.string(), jsonValue).optional(),
      events: z.array(z.unknown()),
    }),
  };
}
let threadSchemas: ReturnType<typeof buildThreadSchemas> | undefined;
const schemas = () => (threadSchemas ??= buildThreadSchemas());

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** Rejects keys that could reach an object's prototype when a thread is loaded from JSON. */
function assertNoPrototypeKeys(value: unknown, path: string): void {
  if (value === null || typeof value !== "object") return;
  for (const key of Object.keys(value)) {
    if (key === "__proto__") {
      throw new ThreadFormatError(`Thread JSON has a "__proto__" key at ${path || "the top level"}; remove it.`);
    }
    assertNoPrototypeKeys((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
  }
}

/**
 * @example
 * let thread = Thread.start("can you divide 3 by 4");
 * thread.status;               // "running"
 * const json = JSON.stringify(thread);
 * Thread.fromJSON(json).events.length === thread.events.length; // true
 */
export class Thread {
  readonly id: string;
  readonly agent: string | undefined;
  readonly metadata: Readonly<Record<string, JsonValue>>;
  /** The fold of all events: status, pending requests, counters. */
  readonly state: ThreadState;
  /**
   * Events live in a buffer shared by a thread and the threads appended from it; each thread sees
   * only its first `#length`. Appending to the newest thread pushes in place (O(1)); appending to an
   * older one copies its prefix. Private fields stay writable under `Object.freeze`.
   */
  readonly #buffer: Event[];
  readonly #length: number;
  readonly #prefixKey: object;
  #events: readonly Event[] | undefined;

  private constructor(
    id: string,
    agent: string | undefined,
    metadata: Record<string, JsonValue>,
    buffer: Event[],
    length: number,
    state: ThreadState,
    prefixKey: object,
  ) {
    this.id = id;
    this.agent = agent;
    this.metadata = metadata;
    this.#buffer = buffer;
    this.#length = length;
    this.#prefixKey = prefixKey;
    this.state = state;
    Object.freeze(this);
  }

  /** The events, oldest first (a frozen array, made on first read). */
  get events(): readonly Event[] {
    return (this.#events ??= Object.freeze(this.#buffer.slice(0, this.#length)));
  }

  /**
   * Opaque: two threads with the same key share their event buffer, so the shorter one's events are
   * a prefix of the longer one's. Renderers use it to reuse work safely.
   */
  get prefixKey(): object {
    return this.#prefixKey;
  }

  /** The event at `index`, without materializing `events`. */
  eventAt(index: number): Event | undefined {
    return index >= 0 && index < this.#length ? this.#buffer[index] : undefined;
  }

  /** An empty thread (no events yet). */
  static create(options: ThreadOptions = {}): Thread {
    const checked = safeParse(schemas().options, options);
    if (!checked.success) throw new InvalidInputError(`Invalid thread options: ${formatIssues(checked.error.issues)}`);
    return new Thread(options.id ?? newId("thr"), options.agent, deepFreeze({ ...(options.metadata ?? {}) }), [], 0, emptyThreadState, {});
  }

  /** A thread whose first event is a user's message. */
  static start(input: string | { text: string; actor?: string; source?: string }, options: ThreadOptions & { clock?: Clock } = {}): Thread {
    const message = typeof input === "string" ? { text: input } : input;
    return Thread.create(options).append([{ type: "user_input", ...message }], options.clock);
  }

  /**
   * Loads a thread from its JSON (a string or the parsed value). Validates every event.
   * @throws ThreadFormatError when the JSON is malformed, an event is invalid, or the version is newer.
   */
  static fromJSON(input: unknown): Thread {
    let value = input;
    if (typeof input === "string") {
      try {
        value = JSON.parse(input);
      } catch (error) {
        throw new ThreadFormatError(`Thread JSON does not parse: ${(error as Error).message}`);
      }
    }
    assertNoPrototypeKeys(value, "");
    const parsed = safeParse(schemas().json, value);
    if (!parsed.success) {
      throw new ThreadFormatError(`Not a thread: ${formatIssues(parsed.error.issues)}`);
    }
    const json = parsed.data;
    if (json.schemaVersion > THREAD_SCHEMA_VERSION) {
      throw new ThreadFormatError(
        `Thread ${json.id} has schemaVersion ${json.schemaVersion}, but this agentfold reads up to ${THREAD_SCHEMA_VERSION}. Upgrade agentfold to load it.`,
      );
    }
    const events = json.events.map((raw, index) => {
      const event = safeParse(eventSchemas().eventSchema, raw);
      if (!event.success) {
        throw new ThreadFormatError(`Thread ${json.id}, event ${index}: ${formatIssues(event.error.issues)}`);
      }
      return event.data;
    });
    return Thread.create({
      id: json.id,
      ...(json.agent === undefined ? {} : { agent: json.agent }),
      ...(json.metadata === undefined ? {} : { metadata: json.metadata }),
    }).appendEvents(events);
  }

  /**
   * A new thread with these events appended; events without `at` are stamped with the clock.
   * Events are frozen: a thread and its events never change after creation.
   */
  append(events: readonly NewEvent[], clock: Clock = systemClock): Thread {
    if (events.length === 0) return this;
    let stamp: string | undefined;
    const stamped = events.map((event, offset) => {
      const withTime = event.at !== undefined ? event : { ...event, at: (stamp ??= clock.now().toISOString()) };
      // Every event is checked before it joins a thread: one that could not be loaded again is refused here.
      const checked = safeParse(eventSchemas().eventSchema, withTime);
      if (!checked.success) {
        throw new InvalidInputError(
          `Event ${this.#length + offset} (${JSON.stringify((event as { type?: unknown }).type)}) for thread ${this.id} is invalid: ${formatIssues(checked.error.issues)}`,
        );
      }
      return checked.data;
    });
    return this.appendEvents(stamped);
  }

  /** Appends already-stamped events (as a store loads them). */
  appendEvents(events: readonly Event[]): Thread {
    if (events.length === 0) return this;
    let state = this.state;
    const shared = this.#buffer.length === this.#length;
    const buffer = shared ? this.#buffer : this.#buffer.slice(0, this.#length);
    for (const event of events) {
      deepFreeze(event);
      state = reduceThreadState(state, event, buffer.length);
      buffer.push(event);
    }
    return new Thread(this.id, this.agent, this.metadata, buffer, buffer.length, state, shared ? this.#prefixKey : {});
  }

  /** The number of events: the version a store compares on append. */
  get version(): number {
    return this.#length;
  }

  get status(): ThreadStatus {
    return statusOf(this.state);
  }

  /** Open approvals, questions and paused children, oldest first. */
  get pending(): readonly PendingItem[] {
    return this.state.pending;
  }

  /**
   * The agent that drives the thread now: the one the newest `handoff` passed it to, else the one it
   * was started for (`agent`). Runners step the thread with this agent.
   */
  get drivingAgent(): string | undefined {
    return this.state.agent ?? this.agent;
  }

  get consecutiveErrors(): number {
    return this.state.consecutiveErrors;
  }

  get stepCount(): number {
    return this.state.stepCount;
  }

  get lastEvent(): Event | undefined {
    return this.eventAt(this.#length - 1);
  }

  /** The pending item for a call id, or a `StateConflictError` naming what is pending instead. */
  pendingItem(callId: string): PendingItem {
    const item = this.state.pending.find((candidate) => candidate.callId === callId);
    if (item) return item;
    const open = this.state.pending.map((candidate) => `${candidate.kind} ${candidate.callId}`).join(", ");
    const decided = this.events.some(
      (event) => (event.type === "approval_decision" || event.type === "human_response") && event.callId === callId,
    );
    throw new StateConflictError(
      `Call ${callId} is not pending on thread ${this.id}${decided ? " (it was already decided)" : ""}. ` +
        `Thread status: ${this.status}. ${open ? `Pending: ${open}.` : "Nothing is pending."}`,
    );
  }

  /**
   * A new thread (new id) with the first `atEvent` events of this one, 1 to all of them (the first
   * event is the request the fork goes on from). Approvals are bound to their thread: a call
   * approved or started but not finished before the cut is pending approval again in the fork,
   * never run on the original's approval. Links to a parent agent are not copied.
   */
  fork(atEvent: number, options: ThreadOptions = {}): Thread {
    // At least the first event: a fork without the request would have the model decide on nothing.
    if (!Number.isInteger(atEvent) || atEvent < 1 || atEvent > this.events.length) {
      throw new InvalidInputError(
        `Cannot fork thread ${this.id} at event ${atEvent}: it has ${this.events.length} events and a fork keeps at least the first, the request (use 1..${this.events.length}).`,
      );
    }
    const prefix = this.events.slice(0, atEvent);
    const cut = Thread.create({ id: this.id }).appendEvents(prefix);
    const unfinished = new Set(cut.state.openCalls.map((call) => call.callId));
    const kept = prefix.filter(
      (event) => !((event.type === "approval_decision" || event.type === "tool_started") && unfinished.has(event.callId)),
    );
    const { parentThreadId: _parent, parentCallId: _call, ...metadata } = this.metadata;
    return Thread.create({
      id: options.id ?? newId("thr"),
      ...(this.agent === undefined ? {} : { agent: this.agent }),
      metadata: { ...metadata, ...(options.metadata ?? {}), forkedFrom: this.id, forkedAt: atEvent },
    }).appendEvents(kept);
  }

  toJSON(): ThreadJson {
    return {
      schemaVersion: THREAD_SCHEMA_VERSION,
      id: this.id,
      ...(this.agent === undefined ? {} : { agent: this.agent }),
      ...(Object.keys(this.metadata).length === 0 ? {} : { metadata: { ...this.metadata } }),
      events: this.events as Event[],
    };
  }
}
