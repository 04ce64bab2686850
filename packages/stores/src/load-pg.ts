/**
 * `pg` is an optional peer dependency: only Postgres users install it, and a SQLite user's process
 * never loads it. It is imported when a Postgres store is first created from a connection string.
 */
import { ConfigurationError } from "agentfold";

/** The `pg` module: `Pool` and friends. */
export type PgModule = (typeof import("pg"))["default"];

/**
 * Imports an optional package, turning "it is not installed" into a one-line `ConfigurationError`
 * that says what to run. Any other failure (the package is there but broken, or one of its own
 * dependencies is missing) is rethrown as it is.
 *
 * @example
 * const pg = await importOptional(() => import("pg"), "pg", "The Postgres store needs the pg package: npm i pg");
 */
export async function importOptional<T>(load: () => Promise<T>, name: string, message: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const { code, message: reason } = error as { code?: unknown; message?: unknown };
    if (code === "ERR_MODULE_NOT_FOUND" && typeof reason === "string" && reason.includes(`'${name}'`)) {
      throw new ConfigurationError(message, { cause: error });
    }
    throw error;
  }
}

/**
 * `pg`, imported on first use.
 *
 * @example
 * const pool = new (await loadPg()).Pool({ connectionString });
 */
export async function loadPg(): Promise<PgModule> {
  // pg is CommonJS: importing it gives its exports as the default export.
  const { default: pg } = await importOptional(() => import("pg"), "pg", "The Postgres store needs the pg package: npm i pg");
  return pg;
}
