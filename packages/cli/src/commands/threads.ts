/**
 * `agentfold threads ls|show|render` and `agentfold fork`: read and branch stored threads.
 */
import type { Command } from "commander";
import { countTokens, type ThreadStatus } from "agentfold";
import { threadStatuses } from "agentfold/runtime";
import { CliError } from "../exit-codes.ts";
import { commandName } from "../command-name.ts";
import { paintStatus, printThreadState, printTimeline, threadSummary } from "../format-thread.ts";
import { timingLines, timingRows } from "../format-timing.ts";
import { parseTimeOption } from "../time-options.ts";
import type { CommandContext } from "./context.ts";
import { agentForThread, carryFlags, loadThread, modelFor, ownAgent, withStore, type StoreOptions } from "./shared.ts";

const statuses: readonly ThreadStatus[] = threadStatuses;
const dbOption = ["--db <path|url>", "SQLite file or postgres:// URL (else AGENTFOLD_DB, else ./.agentfold/agentfold.db)"] as const;

interface ListOptions extends StoreOptions {
  status?: string;
  agent?: string;
  limit: string;
  cursor?: string;
  since?: string;
  before?: string;
}

function parseLimit(text: string): number {
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new CliError(`--limit must be a whole number from 1 to 1000, got ${JSON.stringify(text)}.`);
  return limit;
}

function parseStatus(text: string | undefined): ThreadStatus | undefined {
  if (text === undefined) return undefined;
  if (!(statuses as readonly string[]).includes(text))
    throw new CliError(`Unknown status ${JSON.stringify(text)}. Use one of: ${statuses.join(", ")}.`);
  return text as ThreadStatus;
}

/** `--since` and `--before` as the store's creation-time range; an error when it ends where it starts or earlier. */
function parseCreatedRange(options: Pick<ListOptions, "since" | "before">, now: Date): { createdFrom?: Date; createdBefore?: Date } {
  const from = options.since === undefined ? undefined : parseTimeOption(options.since, "--since", now);
  const before = options.before === undefined ? undefined : parseTimeOption(options.before, "--before", now);
  if (from && before && from.getTime() >= before.getTime())
    throw new CliError(
      `--before (${options.before}) must be later than --since (${options.since}): the threads listed are those created from --since up to, not including, --before.`,
    );
  return { ...(from === undefined ? {} : { createdFrom: from }), ...(before === undefined ? {} : { createdBefore: before }) };
}

/** Adds `threads` (with `ls`, `show`, `render`) and `fork` to the program. */
export function registerThreadCommands(program: Command, context: CommandContext): void {
  const threads = program
    .command("threads")
    .description("List, show and render stored threads.")
    .addHelpText(
      "after",
      `
Examples:
  $ agentfold threads ls --status awaiting_approval
  $ agentfold threads show thr_abc123
  $ agentfold threads render thr_abc123`,
    );

  threads
    .command("ls")
    .alias("list")
    .description("List threads, newest first.")
    .option("--status <status>", `only threads with this status: ${statuses.join(", ")}`)
    .option("--agent <name>", "only threads of this agent")
    .option("--since <when>", "only threads created at or after: 30m, 12h, 2d, 1w ago, or a date or date-time (local time)")
    .option("--before <when>", "only threads created before: the same forms as --since")
    .option("--limit <n>", "how many (1-1000)", "20")
    .option("--cursor <cursor>", "the next-page cursor printed by the previous page")
    .option(...dbOption)
    .option("--json", "print { threads, nextCursor } as JSON")
    .addHelpText(
      "after",
      `
Examples:
  $ agentfold threads ls
  $ agentfold threads ls --status awaiting_approval --agent calculator --json
  $ agentfold threads ls --since 2d
  $ agentfold threads ls --since 2026-11-01 --before 2026-11-02   (one day, local time)`,
    )
    .action(async (options: ListOptions) => {
      const out = context.output(options.json);
      const status = parseStatus(options.status);
      const limit = parseLimit(options.limit);
      const created = parseCreatedRange(options, new Date());
      await withStore(options, context.env, context.cwd, async (store) => {
        const page = await store.list({
          limit,
          ...created,
          ...(status === undefined ? {} : { status }),
          ...(options.agent === undefined ? {} : { agent: options.agent }),
          ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
        });
        if (out.json) return out.data(page);
        if (page.threads.length === 0) {
          const filtered =
            status !== undefined || options.agent !== undefined || options.since !== undefined || options.before !== undefined;
          return out.line(
            filtered && options.cursor === undefined
              ? "No threads match these filters."
              : `No threads yet. Start one with: ${commandName()} run <module> "<message>"`,
          );
        }
        const idWidth = Math.max(...page.threads.map((thread) => thread.id.length), 2);
        const agentWidth = Math.max(...page.threads.map((thread) => (thread.agent ?? "-").length), 5);
        out.line(out.paint("bold", `${"id".padEnd(idWidth)}  ${"agent".padEnd(agentWidth)}  ${"status".padEnd(17)}  events  updated`));
        for (const thread of page.threads) {
          out.line(
            `${thread.id.padEnd(idWidth)}  ${(thread.agent ?? "-").padEnd(agentWidth)}  ${paintStatus(out, thread.status)}${" ".repeat(Math.max(0, 17 - thread.status.length))}  ${String(thread.version).padStart(6)}  ${thread.updatedAt}`,
          );
        }
        if (page.nextCursor) out.line(out.paint("gray", `more: ${commandName()} threads ls --cursor ${page.nextCursor}`));
      });
    });

  threads
    .command("show")
    .description("Show a thread as a readable timeline, with what it waits for and how to continue.")
    .argument("<thread>", "thread id")
    .option(...dbOption)
    .option("--json", "print the whole thread (events included) as JSON")
    .option("--timing", "print model calls, tool runs and waits for people as a waterfall, with durations, tokens, cost and retries")
    .addHelpText(
      "after",
      `
Examples:
  $ agentfold threads show thr_abc123
  $ agentfold threads show thr_abc123 --timing
  $ agentfold threads show thr_abc123 --json | jq '.events | length'`,
    )
    .action(async (threadId: string, options: StoreOptions & { timing?: boolean }) => {
      const out = context.output(options.json);
      await withStore(options, context.env, context.cwd, async (store, spec) => {
        const thread = await loadThread(store, threadId, spec);
        const carry = carryFlags(options, context.env);
        if (options.timing) {
          const rows = timingRows(thread.events);
          if (out.json) return out.data({ id: thread.id, status: thread.status, timing: rows });
          for (const line of timingLines(rows)) out.line(line);
          return;
        }
        if (out.json) return out.data({ ...threadSummary(thread, carry), metadata: thread.metadata, events: thread.events });
        printTimeline(out, thread.events);
        out.line();
        printThreadState(out, thread, carry);
      });
    });

  threads
    .command("render")
    .description(
      "Print the exact model input the next step would send for a thread, and its token count, in the output mode of the model it would use. Never calls the model.",
    )
    .argument("<thread>", "thread id")
    .option("--agents <module>", "the agent module (default: the one recorded by agentfold run)")
    .option("-m, --model <spec>", "the model whose output mode to render for (else AGENTFOLD_MODEL, else the one the thread ran with)")
    .option(...dbOption)
    .option("--json", "print { messages, tokens, mode, model } as JSON")
    .addHelpText(
      "after",
      `
The output mode (prompt, json or tools) changes the prompt: it is the agent's own mode, else the
model's default. The model is resolved, never called.

Examples:
  $ agentfold threads render thr_abc123
  $ agentfold threads render thr_abc123 --model openai:gpt-4o-mini
  $ agentfold threads render thr_abc123 --agents ./agent.ts --json`,
    )
    .action(async (threadId: string, options: StoreOptions & { agents?: string; model?: string }) => {
      const out = context.output(options.json);
      await withStore(options, context.env, context.cwd, async (store, spec) => {
        const thread = await loadThread(store, threadId, spec);
        const agent = await agentForThread(store, thread, options.agents, context);
        // The model the next step would use (as resume would pick it): it decides the output mode.
        const { model } = await modelFor(options.model, context.env, context.cwd, thread, ownAgent(thread, agent));
        const rendered = agent.render(thread, { model });
        const mode = rendered.mode;
        if (out.json) return out.data({ messages: rendered.messages, tokens: rendered.tokens, mode, model: model.id });
        for (const message of rendered.messages) {
          out.line(out.paint("bold", `── ${message.role} (${countTokens(message.content)} tokens) ──`));
          out.line(message.content);
          out.line();
        }
        out.line(
          out.paint("bold", `${rendered.tokens} tokens in ${rendered.messages.length} messages`) +
            out.paint("gray", `  (mode: ${mode}, model: ${model.id})`),
        );
      });
    });

  program
    .command("fork")
    .description("Start a new thread from the first <n> events of another (e.g. to retry from before a bad step).")
    .argument("<thread>", "thread id")
    .requiredOption("--at <n>", "how many events of the original to keep (1..its event count; the first is the request)")
    .option(...dbOption)
    .option("--json", "print the new thread's state as JSON")
    .addHelpText(
      "after",
      `
Examples:
  $ agentfold fork thr_abc123 --at 3
  $ agentfold threads show "$(agentfold fork thr_abc123 --at 3 --json | jq -r .id)"`,
    )
    .action(async (threadId: string, options: StoreOptions & { at: string }) => {
      const out = context.output(options.json);
      const at = Number(options.at);
      if (!/^\d+$/.test(options.at.trim()) || !Number.isSafeInteger(at))
        throw new CliError(`--at must be a whole number of events, got ${JSON.stringify(options.at)}.`);
      await withStore(options, context.env, context.cwd, async (store, spec) => {
        const thread = await loadThread(store, threadId, spec);
        const forked = thread.fork(at);
        await store.create(forked);
        const carry = carryFlags(options, context.env);
        if (out.json) return out.data({ ...threadSummary(forked, carry), forkedFrom: thread.id, forkedAt: at });
        out.line(`Forked ${thread.id} at event ${at}.`);
        printThreadState(out, forked, carry);
        if (forked.status === "running")
          out.line(`continue with:\n  ${commandName()} resume ${forked.id}${carry.length ? ` ${carry.join(" ")}` : ""}`);
      });
    });
}
