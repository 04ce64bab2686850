/**
 * `pg` is an optional peer dependency: only Postgres users install it, and a SQLite user's process
 * never loads it. It is imported when a Postgres store is first created from a connection string.
 */
import { importOptional } from "agentfold/runtime";

/** The `pg` module: `Pool` and friends. */
export type PgModule = typeof import("pg")["default"];

/**
 * `pg`, imported on first use.
 *
 * @example
 * const pool = new (await loadPg()).Pool({ connectionString });
 */
export async function loadPg(): Promise<PgModule> {
  // pg is CommonJS: importing it gives its exports as the default export.
  const { default: pg } = await importOptional("pg", "The Postgres store needs the pg package: npm i pg", () => import("pg"));
  return pg;
}
