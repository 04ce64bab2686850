import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

/**
 * Runs ES module code in a fresh Node (with this process's options) after a resolve hook that
 * records every module loaded and, when `hidePg` is set, resolves `pg` from a directory where it is
 * not installed, so Node itself reports it missing. Returns the last line printed, as JSON.
 */
function inFreshProcess(code: string, { hidePg = false } = {}): unknown {
  const hooks = `
    import { registerHooks } from "node:module";
    globalThis.loadedUrls = [];
    registerHooks({
      resolve(specifier, context, next) {
        const where = ${hidePg} && specifier === "pg" ? { ...context, parentURL: "file:///nonexistent/index.js" } : context;
        const result = next(specifier, where);
        globalThis.loadedUrls.push(result.url);
        return result;
      },
    });
  `;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", `${hooks}\n${code}`], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!);
}

describe("pg, an optional peer", () => {
  it("is not loaded by a SQLite store", () => {
    const seen = inFreshProcess(`
      const { createStore } = await import("@agentfold/stores");
      const store = await createStore(":memory:");
      await store.close();
      console.log(JSON.stringify({ pg: globalThis.loadedUrls.some((url) => url.includes("/node_modules/pg/")) }));
    `);
    assert.deepEqual(seen, { pg: false });
  });

  it("when missing, makes a Postgres store fail with one line saying what to install", () => {
    const failure = inFreshProcess(
      `
      const { createStore } = await import("@agentfold/stores");
      const error = await createStore("postgres://127.0.0.1:1/none").then(() => undefined, (error) => error);
      console.log(JSON.stringify({ name: error?.name, message: error?.message }));
    `,
      { hidePg: true },
    );
    assert.deepEqual(failure, { name: "ConfigurationError", message: "The Postgres store needs the pg package: npm i pg" });
  });
});
