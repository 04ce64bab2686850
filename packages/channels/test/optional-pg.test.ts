import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

/**
 * Runs ES module code in a fresh Node (with this process's options) after a resolve hook that
 * records every module loaded and resolves `pg` from a directory where it is not installed, so
 * Node itself reports it missing. Returns the last line printed, as JSON.
 */
function withoutPg(code: string): unknown {
  const hooks = `
    import { registerHooks } from "node:module";
    globalThis.loadedUrls = [];
    registerHooks({
      resolve(specifier, context, next) {
        const result = next(specifier, specifier === "pg" ? { ...context, parentURL: "file:///nonexistent/index.js" } : context);
        globalThis.loadedUrls.push(result.url);
        return result;
      },
    });
  `;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", `${hooks}\n${code}`], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!);
}

describe("pg, an optional peer of the channels", () => {
  it("is needed only by a Postgres channel store, which says how to install it", () => {
    const seen = withoutPg(`
      const { createPostgresChannelStore, createSqliteChannelStore } = await import("@agentfold/channels");
      createSqliteChannelStore({ path: ":memory:" });
      const error = await createPostgresChannelStore({ connectionString: "postgres://127.0.0.1:1/none" }).then(() => undefined, (error) => error);
      console.log(JSON.stringify({ name: error?.name, message: error?.message, pg: globalThis.loadedUrls.some((url) => url.includes("/node_modules/pg/")) }));
    `);
    assert.deepEqual(seen, { name: "ConfigurationError", message: "The Postgres store needs the pg package: npm i pg", pg: false });
  });
});
