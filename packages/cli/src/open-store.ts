/**
 * The store a command works on: `--db`, else `AGENTFOLD_DB`, else `./.agentfold/agentfold.db`.
 */
import { resolve } from "node:path";
import type { ThreadStore } from "agentfold";
import { createStore } from "@agentfold/stores";
import { CliError, ExitCode } from "./exit-codes.ts";

/** The SQLite file used when neither `--db` nor `AGENTFOLD_DB` is given, relative to the working directory. */
export const DEFAULT_DB = "./.agentfold/agentfold.db";

/** The store spec in effect and whether it came from the default. */
export function storeSpec(option: string | undefined, env: NodeJS.ProcessEnv): { spec: string; isDefault: boolean } {
  const given = option ?? env.AGENTFOLD_DB;
  if (given !== undefined && given.trim() !== "") return { spec: given, isDefault: false };
  return { spec: DEFAULT_DB, isDefault: true };
}

/**
 * Opens the store; relative SQLite paths resolve against `cwd`.
 *
 * @example
 * const store = await openStore("./.agentfold/agentfold.db", process.cwd());
 * try { await store.load(id); } finally { await store.close(); }
 */
export async function openStore(spec: string, cwd: string): Promise<ThreadStore> {
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(spec) || /^file:/i.test(spec) || spec === ":memory:";
  try {
    return await createStore(isUrl ? spec : resolve(cwd, spec));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const usage = error instanceof Error && error.name === "ConfigurationError";
    throw new CliError(`Cannot open the store ${redact(spec)}: ${reason}`, usage ? ExitCode.usage : ExitCode.unexpected, "store");
  }
}

/** A store spec with any password hidden, for messages. */
export function redact(spec: string): string {
  return spec.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}
