/**
 * `agentfold cancel <thread>`: stops a thread through the server's own cancel (`runner.cancel` of
 * `@agentfold/server`, what `POST /v1/threads/:id/cancel` calls), on the store the other commands
 * use. Like the API it does not wait for the thread's lease: a server or another command advancing
 * the thread meets the stored cancel on its next write and stops. A cascade a crash cut short in the
 * thread's family (a canceled thread or ancestor, a descendant not canceled) is finished first.
 */
import type { Command } from "commander";
import type { Model, ModelRequest, Thread } from "agentfold";
import { finishCanceledFamily } from "agentfold/runtime";
import { ExitCode } from "../exit-codes.ts";
import { printThreadState, threadSummary } from "../format-thread.ts";
import type { CommandContext } from "./context.ts";
import {
  actorName,
  agentForThread,
  carryFlags,
  loadThread,
  modelFor,
  recordedRun,
  rootOf,
  withStore,
  type StoreOptions,
} from "./shared.ts";

interface CancelOptions extends StoreOptions {
  agents?: string;
  model?: string;
  reason?: string;
}

/**
 * The thread's model, resolved only if the runner calls it: a cancel itself never does, so a model
 * that is not configured (or a script file that is gone) does not stand in its way.
 */
function modelOnDemand(option: string | undefined, env: NodeJS.ProcessEnv, cwd: string, thread: Thread): Model {
  let resolved: Promise<Model> | undefined;
  return {
    specificationVersion: "v1",
    id: option ?? recordedRun(thread).model ?? "default",
    generate: async (request: ModelRequest) => {
      resolved ??= modelFor(option, env, cwd, thread).then((found) => found.model);
      return (await resolved).generate(request);
    },
  };
}

/** Adds `cancel` to the program. */
export function registerCancelCommand(program: Command, context: CommandContext): void {
  program
    .command("cancel")
    .description("Cancel a thread: it stops where it is, even while a server or another command runs it.")
    .argument("<thread>", "thread id")
    .option("--reason <text>", "why; recorded on the cancel event")
    .option("--agents <module>", "the agent module (else the one agentfold run recorded, AGENTFOLD_AGENTS, agentfold.config.ts)")
    .option("-m, --model <spec>", "model spec, used only if a parent thread goes on (else AGENTFOLD_MODEL, else the thread's)")
    .option("--db <path|url>", "SQLite file or postgres:// URL (else AGENTFOLD_DB, else ./.agentfold/agentfold.db)")
    .option("--json", "print the canceled thread's state as JSON")
    .addHelpText(
      "after",
      `
A thread that is already done, failed or canceled cannot be canceled (exit 2), except to finish a
cancel a stopped process left unfinished: when the thread or an ancestor is canceled and a
descendant is not, the descendants are canceled now (exit 0).

Examples:
  $ agentfold cancel thr_abc123
  $ agentfold cancel thr_abc123 --reason "wrong customer" --db ./agents.db --json`,
    )
    .action(async (threadId: string, options: CancelOptions) => {
      const out = context.output(options.json);
      await withStore(options, context.env, context.cwd, async (store, spec) => {
        let thread = await loadThread(store, threadId, spec);
        // A cancel whose cascade a crash cut short (the thread or an ancestor canceled, a descendant
        // not): finished first, as a server's recovery sweep would; the CLI has no sweep.
        const repaired = await finishCanceledFamily(store, thread);
        if (repaired.length > 0) {
          out.warn(
            `a cancel in this thread's family had not reached ${repaired.map((each) => each.id).join(", ")} (a process stopped mid-cancel); canceled now`,
          );
          thread = (await store.load(thread.id)) ?? thread;
          if (thread.state.terminal) {
            const carry = carryFlags(options, context.env);
            if (out.json) out.data(threadSummary(thread, carry));
            else printThreadState(out, thread, carry);
            context.exitCode = ExitCode.ok;
            return;
          }
        }
        // The thread's agent and its top ancestor's (which goes on when a child is canceled), found
        // the way every command finds them: --agents, the module run recorded, AGENTFOLD_AGENTS, the config.
        const root = await rootOf(store, thread);
        const agents = [...new Set(await Promise.all([thread, root].map((each) => agentForThread(store, each, options.agents, context))))];
        // Loaded only for this command: the server's runner is not needed elsewhere.
        const { createRunner } = await import("@agentfold/server");
        const runner = createRunner({
          store,
          agents,
          // Only a parent that goes on calls the model: the top ancestor's, which `run` recorded.
          model: modelOnDemand(options.model, context.env, context.cwd, root),
          onError: (error, id) => out.warn(`thread ${id}: ${error instanceof Error ? error.message : String(error)}`),
        });
        let canceled: Thread;
        try {
          canceled = await runner.cancel(thread.id, {
            actor: actorName(context.env),
            ...(options.reason === undefined ? {} : { reason: options.reason }),
          });
        } finally {
          await runner.close();
        }
        const carry = carryFlags(options, context.env);
        if (out.json) out.data(threadSummary(canceled, carry));
        else printThreadState(out, canceled, carry);
      });
      context.exitCode = ExitCode.ok;
    });
}
