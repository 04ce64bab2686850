/**
 * `agentfold approve`, `agentfold reject` and `agentfold respond`: a person's action on what a thread
 * waits for, then the thread continued like `agentfold run` would.
 */
import type { Command } from "commander";
import type { Thread } from "agentfold";
import { applyHumanAction, type HumanAction } from "agentfold/runtime";
import { checkFamily, driveFamily } from "../drive-family.ts";
import { applyChange, leaseWaitFrom, withThreadLease } from "../drive-thread.ts";
import type { CommandContext } from "./context.ts";
import {
  actorName,
  agentForThread,
  carryFlags,
  finish,
  loadThread,
  modelFor,
  ownAgent,
  parseArgsOption,
  rootOf,
  withStore,
  type StoreOptions,
} from "./shared.ts";

interface HumanActionOptions extends StoreOptions {
  agents?: string;
  model?: string;
  comment?: string;
  args?: string;
  /** `--no-continue`: record the decision only. */
  continue: boolean;
}

const sharedHelp = `
The agent module defaults to the one recorded by agentfold run, else AGENTFOLD_AGENTS, else the
agents of agentfold.config.ts; the model to --model, else AGENTFOLD_MODEL, else the one the thread ran
with. After the decision the thread runs on until it is done or waits again (exit 0 or 3); a child
agent's thread runs on inside its parent, which goes on too. With --no-continue only the decision is
stored.`;

function addHumanActionOptions(command: Command): Command {
  return command
    .option("--agents <module>", "the agent module (default: recorded by agentfold run, else AGENTFOLD_AGENTS, else agentfold.config.ts)")
    .option("-m, --model <spec>", "model spec for continuing (else AGENTFOLD_MODEL, else the thread's)")
    .option("--db <path|url>", "SQLite file or postgres:// URL (else AGENTFOLD_DB, else ./.agentfold/agentfold.db)")
    .option("--no-continue", "only record the decision; do not run the agent")
    .option("--json", "print the final state as JSON; never prompt");
}

/**
 * Shared flow: load, then under the thread's lease apply the person's action (pure, on the thread as
 * stored, with `AGENTFOLD_ACTOR` or the user as its actor), store, and continue. An action on a call
 * someone else approved or rejected meanwhile says so ("already decided").
 */
async function applyAndContinue(
  context: CommandContext,
  threadId: string,
  options: HumanActionOptions,
  action: HumanAction,
): Promise<number> {
  const out = context.output(options.json);
  const leaseWaitMs = leaseWaitFrom(context.env);
  return withStore(options, context.env, context.cwd, async (store, spec) => {
    const thread = await loadThread(store, threadId, spec);
    const agent = await agentForThread(store, thread, options.agents, context);
    // A child agent's thread runs on in its family: the model is the one its top ancestor ran with.
    const root = await rootOf(store, thread);
    const chosen = options.continue ? await modelFor(options.model, context.env, context.cwd, root, ownAgent(thread, agent)) : undefined;
    const model = chosen?.model;
    const actor = actorName(context.env);
    const carry = carryFlags(options, context.env);
    const change = (current: Thread) => applyHumanAction(agent, current, { ...action, actor });
    const agentFor = (other: Thread) => agentForThread(store, other, options.agents, context);
    if (!model) await checkFamily({ store }, thread);
    const final = model
      ? await driveFamily(thread, { out, store, agent, model, actor, carry, leaseWaitMs, agentFor, modelFor: chosen!.forAgent }, change)
      : await withThreadLease(store, thread.id, leaseWaitMs, (lease) => applyChange({ out, store, lease }, thread.id, change));
    return finish(out, final, carry);
  });
}

/** Adds `approve`, `reject` and `respond` to the program. */
export function registerHumanActionCommands(program: Command, context: CommandContext): void {
  addHumanActionOptions(
    program
      .command("approve")
      .description("Approve a pending tool call, optionally with edited arguments, then continue the thread.")
      .argument("<thread>", "thread id")
      .argument("<callId>", "the call id shown under pending")
      .option("--args <json>", "edited arguments as a JSON object; validated against the tool's schema; exactly these run")
      .option("--comment <text>", "a note recorded with the approval"),
  )
    .addHelpText(
      "after",
      `${sharedHelp}

Examples:
  $ agentfold approve thr_abc123 call_1
  $ agentfold approve thr_abc123 call_1 --args '{"a": 3, "b": 5}' --comment "use 5"
  $ agentfold approve thr_abc123 call_1 --agents ./agent.ts --db ./agents.db --json`,
    )
    .action(async (threadId: string, callId: string, options: HumanActionOptions) => {
      const args = parseArgsOption(options.args);
      context.exitCode = await applyAndContinue(context, threadId, options, { type: "approve", callId, args, comment: options.comment });
    });

  addHumanActionOptions(
    program
      .command("reject")
      .description("Reject a pending tool call with a comment the agent reads, then continue the thread.")
      .argument("<thread>", "thread id")
      .argument("<callId>", "the call id shown under pending")
      .option("--comment <text>", "why; the agent reads this and may try something else"),
  )
    .addHelpText(
      "after",
      `${sharedHelp}

Examples:
  $ agentfold reject thr_abc123 call_1 --comment "never divide by zero"
  $ agentfold reject thr_abc123 call_1 --json`,
    )
    .action(async (threadId: string, callId: string, options: HumanActionOptions) => {
      context.exitCode = await applyAndContinue(context, threadId, options, { type: "reject", callId, comment: options.comment });
    });

  addHumanActionOptions(
    program
      .command("respond")
      .description("Answer a question the agent asked, then continue the thread.")
      .argument("<thread>", "thread id")
      .argument("<callId>", "the call id shown under pending")
      .argument("<text>", "the answer (yes/no or one of the choices when the question asks for it)"),
  )
    .addHelpText(
      "after",
      `${sharedHelp}

Examples:
  $ agentfold respond thr_abc123 call_2 "divide by 4, not 0"
  $ agentfold respond thr_abc123 call_2 yes --json`,
    )
    .action(async (threadId: string, callId: string, text: string, options: HumanActionOptions) => {
      context.exitCode = await applyAndContinue(context, threadId, options, { type: "respond", callId, text });
    });
}
