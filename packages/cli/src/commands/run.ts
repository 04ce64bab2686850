/**
 * `agentfold run`, `agentfold resume` and `agentfold message`: start or continue a thread in the
 * terminal.
 */
import type { Command } from "commander";
import type { Agent, Thread, ThreadStore } from "agentfold";
import type { ThreadChange } from "@agentfold/server";
import { applyHumanAction, fireDue, nextWakeAt, wakeThread } from "agentfold/runtime";
import { commandName } from "../command-name.ts";
import { CliError } from "../exit-codes.ts";
import { driveFamily } from "../drive-family.ts";
import { driveThread, leaseWaitFrom } from "../drive-thread.ts";
import { printTimeline } from "../format-thread.ts";
import { loadAgent } from "../load-agents.ts";
import type { Output } from "../output.ts";
import type { CommandContext } from "./context.ts";
import {
  actorName,
  agentForThread,
  carryFlags,
  finish,
  loadThread,
  modelFor,
  ownAgent,
  rootOf,
  runMetadata,
  withStore,
  type StoreOptions,
} from "./shared.ts";

interface RunOptions extends StoreOptions {
  model?: string;
}

interface ContinueOptions extends RunOptions {
  agents?: string;
}

/**
 * What `resume` changes before it runs: a thread that failed because of its model is resumed; one
 * that waits has what is due fired (its timers, its requests' deadlines), or with `--now` its timers
 * fire early. Undefined when there is nothing to change.
 */
function resumeChange(thread: Thread, options: { now?: boolean; actor: string }): ThreadChange | undefined {
  const { actor } = options;
  if (thread.state.failureCode) {
    return (current, agent) => (current.state.failureCode ? agent.resume(current, { actor }) : current);
  }
  if (options.now) {
    if (thread.state.timers.length === 0) {
      const child = waitingChild(thread);
      if (child) {
        throw new CliError(
          `Thread ${thread.id} waits for its child thread ${child}, whose timer is what to wake: ${commandName()} resume ${child} --now`,
        );
      }
      throw new CliError(`Thread ${thread.id} is ${thread.status} and waits for no timer: there is nothing to wake. Leave out --now.`);
    }
    return (current) => (current.state.timers.length > 0 ? wakeThread(current, { actor }) : current);
  }
  return nextWakeAt(thread.state) === undefined ? undefined : (current) => fireDue(current);
}

/** The child thread a thread waits for because the child's tool sleeps, if any. */
function waitingChild(thread: Thread): string | undefined {
  const item = thread.pending.find((pending) => pending.kind === "child" && pending.childStatus === "waiting");
  return item?.kind === "child" ? item.childThreadId : undefined;
}

/** Adds `run`, `resume` and `message` to the program. */
export function registerRunCommands(program: Command, context: CommandContext): void {
  program
    .command("run")
    .description(
      "Start a thread with a message and run the agent in the terminal. Approvals and questions are asked interactively; without a terminal the command prints what the thread waits for and exits 3.",
    )
    .argument("<module>", "the agent module, optionally with #agent-name: path/to/agent.ts#calculator")
    .argument("<message>", "the first message of the thread")
    .option("-m, --model <spec>", "model spec (else AGENTFOLD_MODEL, else the default model)")
    .option("--db <path|url>", "SQLite file or postgres:// URL (else AGENTFOLD_DB, else ./.agentfold/agentfold.db)")
    .option("--json", "print the final state as JSON; never prompt")
    .addHelpText(
      "after",
      `
Examples:
  $ agentfold run examples/calculator/agent.ts "can you divide 3 by 4"
  $ agentfold run ./agent.ts#calculator "add 2 and 3" --model openai:gpt-4o-mini
  $ agentfold run ./agent.ts "divide 3 by 4" --model script:./steps.json --json`,
    )
    .action(async (target: string, message: string, options: RunOptions) => {
      const out = context.output(options.json);
      if (message.trim() === "") throw new CliError('The message is empty. Say what the agent should do, e.g. "can you divide 3 by 4".');
      const { agent, path } = await loadAgent(target, context.cwd);
      const { model, spec, forAgent } = await modelFor(options.model, context.env, context.cwd, undefined, agent);
      context.exitCode = await withStore(options, context.env, context.cwd, async (store) => {
        const thread = agent.start({ text: message, source: "cli", actor: actorName(context.env) }, { metadata: runMetadata(path, spec) });
        await store.create(thread);
        if (!out.json) {
          out.line(`${out.paint("bold", "thread")} ${thread.id} ${out.paint("gray", `(${agent.name})`)}`);
          printTimeline(out, thread.events);
        }
        const final = await driveThread(thread, {
          out,
          store,
          agent,
          model,
          actor: actorName(context.env),
          carry: carryFlags(options, context.env),
          leaseWaitMs: leaseWaitFrom(context.env),
          // A handoff names another agent of the module this run records on the thread.
          agentFor: (other) => agentForThread(store, other, undefined, context),
          modelFor: forAgent,
        });
        return finish(out, final, carryFlags(options, context.env));
      });
    });

  program
    .command("resume")
    .description(
      "Continue a thread: run it if it can go on, and in a terminal ask about what it waits for. Use it after Ctrl-C, or after fixing a model error (a key, a model name, a provider that was down).",
    )
    .argument("<thread>", "thread id")
    .option("--agents <module>", "the agent module (default: recorded by agentfold run, else AGENTFOLD_AGENTS, else agentfold.config.ts)")
    .option("-m, --model <spec>", "model spec (else AGENTFOLD_MODEL, else the one the thread ran with)")
    .option("--db <path|url>", "SQLite file or postgres:// URL (else AGENTFOLD_DB, else ./.agentfold/agentfold.db)")
    .option("--json", "print the final state as JSON; never prompt")
    .option("--now", "wake a waiting thread before its time: its timers fire early, recorded with you")
    .addHelpText(
      "after",
      `
A waiting thread (a tool returned sleep or waitUntil) goes on once its time has come; before that,
resume says until when it waits and exits 3. A server wakes it by itself.

Examples:
  $ agentfold resume thr_abc123
  $ agentfold resume thr_abc123 --now
  $ agentfold resume thr_abc123 --agents ./agent.ts --model script:./steps.json --json`,
    )
    .action(async (threadId: string, options: ContinueOptions & { now?: boolean }) => {
      context.exitCode = await continueThread(context, threadId, options, (thread, { actor, out }) => ({
        // A thread that failed because of its model (a key, a model name, an outage) goes on once
        // fixed; a waiting one once its time has come (or now, with --now).
        change: resumeChange(thread, { actor, ...(options.now ? { now: true } : {}) }),
        after: async (final, store) => {
          // A parent whose child sleeps waits until the child's time: the child is the one to wake.
          const childId = waitingChild(final);
          const sleeper = childId === undefined ? final : ((await store.load(childId)) ?? final);
          const until = sleeper.state.timers.map((timer) => timer.until).sort()[0];
          if (until !== undefined && !out.json) {
            const who = sleeper === final ? `thread ${final.id}` : `thread ${final.id} waits for child thread ${sleeper.id}, which`;
            out.line(`Not due yet: ${who} waits until ${until}. To wake it now: ${commandName()} resume ${sleeper.id} --now`);
          }
        },
      }));
    });

  program
    .command("message")
    .description("Send a new message on a thread that is done or waiting, then run it like agentfold run.")
    .argument("<thread>", "thread id")
    .argument("<text>", "the message")
    .option("--agents <module>", "the agent module (default: recorded by agentfold run, else AGENTFOLD_AGENTS, else agentfold.config.ts)")
    .option("-m, --model <spec>", "model spec (else AGENTFOLD_MODEL, else the one the thread ran with)")
    .option("--db <path|url>", "SQLite file or postgres:// URL (else AGENTFOLD_DB, else ./.agentfold/agentfold.db)")
    .option("--json", "print the final state as JSON; never prompt")
    .addHelpText(
      "after",
      `
Examples:
  $ agentfold message thr_abc123 "now multiply that by 10"`,
    )
    .action(async (threadId: string, text: string, options: ContinueOptions) => {
      context.exitCode = await continueThread(context, threadId, options, (_thread, { actor, agent }) => ({
        change: (current) => applyHumanAction(agent, current, { type: "message", text, actor, source: "cli" }),
      }));
    });
}

/**
 * `resume` and `message`: loads the thread, its agent and model the way every command does, applies
 * `plan(thread).change` and drives the thread's family until it waits or ends; the exit code.
 */
async function continueThread(
  context: CommandContext,
  threadId: string,
  options: ContinueOptions,
  plan: (
    thread: Thread,
    found: { actor: string; agent: Agent; out: Output },
  ) => { change: ThreadChange | undefined; after?: (final: Thread, store: ThreadStore) => void | Promise<void> },
): Promise<number> {
  const out = context.output(options.json);
  return withStore(options, context.env, context.cwd, async (store, spec) => {
    const thread = await loadThread(store, threadId, spec);
    const agent = await agentForThread(store, thread, options.agents, context);
    const { model, forAgent } = await modelFor(
      options.model,
      context.env,
      context.cwd,
      await rootOf(store, thread),
      ownAgent(thread, agent),
    );
    const actor = actorName(context.env);
    const { change, after } = plan(thread, { actor, agent, out });
    const final = await driveFamily(
      thread,
      {
        out,
        store,
        agent,
        model,
        actor,
        carry: carryFlags(options, context.env),
        leaseWaitMs: leaseWaitFrom(context.env),
        agentFor: (other: Thread) => agentForThread(store, other, options.agents, context),
        modelFor: forAgent,
      },
      change,
    );
    await after?.(final, store);
    return finish(out, final, carryFlags(options, context.env));
  });
}
