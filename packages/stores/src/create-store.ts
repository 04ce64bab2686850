/**
 * `createStore(spec)`: one string picks the store, as `--db` and `AGENTFOLD_DB` do.
 */
import { fileURLToPath } from "node:url";
import { ConfigurationError, type ThreadStore } from "agentfold";
import { createPostgresStore } from "./postgres-store.ts";
import { createSqliteStore } from "./sqlite-store.ts";

/**
 * A store from a spec string: a `postgres://` or `postgresql://` URL opens Postgres; a file path,
 * a `file:` URL or `":memory:"` opens SQLite. `options.schema` picks the Postgres schema.
 *
 * @example
 * const store = await createStore(process.env.AGENTFOLD_DB ?? "./agentfold.db");
 * const other = await createStore("postgres://postgres@127.0.0.1:5432/agentfold", { schema: "agents" });
 */
export async function createStore(spec: string, options: { schema?: string } = {}): Promise<ThreadStore> {
  if (typeof spec !== "string" || spec.trim() === "") {
    throw new ConfigurationError(
      'A store spec is needed: a SQLite file path ("./agentfold.db") or a Postgres URL ("postgres://user@host:5432/db").',
    );
  }
  if (/^postgres(ql)?:\/\//i.test(spec)) {
    return createPostgresStore({ connectionString: spec, ...(options.schema === undefined ? {} : { schema: options.schema }) });
  }
  if (/^file:/i.test(spec)) return createSqliteStore({ path: fileURLToPath(spec) });
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(spec)?.[1];
  if (scheme) {
    throw new ConfigurationError(
      `Unsupported store URL scheme "${scheme}:" in ${JSON.stringify(spec.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@"))}. ` +
        'Use a SQLite file path ("./agentfold.db"), a file: URL, or a postgres:// or postgresql:// URL.',
    );
  }
  return createSqliteStore({ path: spec });
}
