/**
 * Driving a child agent's thread from the terminal. A child runs only inside its parent's tool,
 * which holds the child's agent and model (core's thread-family.ts), so a command on a child records
 * the person's change on the child, marks each ancestor that can now go on as resumed, and runs the
 * top ancestor: its tool continues the child and the parent reads the result.
 *
 * Invariants: a change on a child is made only while every ancestor still waits for it (else a
 * StateConflictError, as the API's 409); each write is under the thread's own lease, like a server's.
 */
import { StateConflictError, type Agent, type Thread } from "agentfold";
import { familyRefusal, finishCanceledFamily, parentOf, resumePausedChild } from "agentfold/runtime";
import type { ThreadChange } from "@agentfold/server";
import { applyChange, driveThread, withThreadLease, type DriveOptions } from "./drive-thread.ts";

export interface FamilyDriveOptions extends DriveOptions {
  /** The agent of another thread of the family (the top ancestor that is run). */
  agentFor(thread: Thread): Promise<Agent>;
}

/**
 * Throws a StateConflictError when an ancestor of `thread` no longer waits for it. An ancestor that
 * was canceled by a process that stopped before its cancel reached this thread has its cancel
 * finished first (the CLI has no recovery sweep), and the error says so.
 */
export async function checkFamily(options: Pick<DriveOptions, "store">, thread: Thread): Promise<void> {
  const refusal = await familyRefusal(thread, (id) => options.store.load(id));
  if (!refusal) return;
  const repaired = await finishCanceledFamily(options.store, thread);
  const note =
    repaired.length > 0 ? ` Its cancel had not reached ${repaired.map((each) => each.id).join(", ")}; they are canceled now.` : "";
  throw new StateConflictError(`${refusal}${note}`);
}

/**
 * `driveThread` for any thread: a thread no tool started is driven as it is; a child agent's thread
 * gets `change` (if any), then its family goes on from the top. Returns the last stored state of the
 * thread that was run (the top ancestor, for a child).
 *
 * @example
 * const final = await driveFamily(thread, { ...driveOptions, agentFor }, change);
 */
export async function driveFamily(start: Thread, options: FamilyDriveOptions, change?: ThreadChange): Promise<Thread> {
  if (!parentOf(start)) return driveThread(start, options, change);
  await checkFamily(options, start);
  const waitMs = options.leaseWaitMs ?? 10_000;
  let current = start;
  if (change) {
    current = await withThreadLease(options.store, start.id, waitMs, (lease) =>
      applyChange({ ...options, lease }, start.id, (stored) => change(stored, options.agent)),
    );
  }
  // Up the family while the thread below can go on: each parent that waits for it resumes it.
  for (let link = parentOf(current); link; link = parentOf(current)) {
    if (current.status === "awaiting_approval" || current.status === "awaiting_human" || current.status === "waiting") return current;
    const { threadId, callId } = link;
    current = await withThreadLease(options.store, threadId, waitMs, (lease) =>
      applyChange({ ...options, lease }, threadId, (parent) => resumePausedChild(parent, callId)),
    );
    if (!options.out.json) options.out.line(`continuing thread ${current.id}, which ran the child`);
  }
  return driveThread(current, { ...options, agent: await options.agentFor(current) });
}
