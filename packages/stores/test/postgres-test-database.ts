/**
 * Test isolation for Postgres: every store gets a fresh schema, dropped at the end of the file.
 * Postgres must be reachable: the tests fail (never skip) when it is not.
 */
import pg from "pg";

export const postgresUrl = process.env.AGENTFOLD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const schemas: string[] = [];

/** A schema name no other test run uses. */
export function freshSchema(): string {
  const schema = `agentfold_test_${process.pid}_${Date.now().toString(36)}_${schemas.length}`;
  schemas.push(schema);
  return schema;
}

/** Drops every schema `freshSchema` handed out in this process. */
export async function dropSchemas(): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    for (const schema of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
