import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createServer } from "@agentfold/server";
import { createMemoryStore, ScriptedModel } from "agentfold/testing";
import { calculator } from "../../../examples/calculator/agent.ts";
import { contentSecurityPolicy, createWebApp, webAssets, webAssetsDirectory, webInbox } from "../src/index.ts";

const root = join(import.meta.dirname, "../../..");

describe("serving the UI", () => {
  it("serves index.html at / with a strict content security policy, and the assets it references", async () => {
    const app = createWebApp();
    const page = await app.request("/");
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(page.headers.get("content-security-policy"), contentSecurityPolicy);
    assert.equal(
      contentSecurityPolicy,
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
    );
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    assert.equal(page.headers.get("referrer-policy"), "no-referrer");
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
    assert.equal(page.headers.get("strict-transport-security"), null, "left to whatever terminates TLS");
    const html = await page.text();
    const referenced = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    assert.ok(referenced.length >= 3);
    for (const path of referenced) assert.equal((await app.request(path)).status, 200, path);
    assert.doesNotMatch(html, /https?:\/\//, "no asset comes from another origin");
  });

  it("serves every module the app imports, as JavaScript, and nothing from outside public/", async () => {
    const app = createWebApp();
    const imports = new Set<string>(["app.js"]);
    for (const name of readdirSync(webAssetsDirectory).filter((file) => file.endsWith(".js"))) {
      const source = readFileSync(join(webAssetsDirectory, name), "utf8");
      for (const match of source.matchAll(/from "\.\/([^"]+)"/g)) imports.add(match[1]!);
      assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, `${name} must write text, never HTML`);
    }
    for (const name of imports) {
      const response = await app.request(`/assets/${name}`);
      assert.equal(response.status, 200, name);
      assert.equal(response.headers.get("content-type"), "text/javascript; charset=utf-8", name);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    }
    for (const path of ["/assets/../package.json", "/assets/%2e%2e/package.json", "/assets/nope.js", "/package.json", "/src/index.ts"]) {
      assert.notEqual((await app.request(path)).status, 200, path);
    }
  });

  it("answers 304 to a matching If-None-Match", async () => {
    const app = createWebApp();
    const first = await app.request("/assets/app.js");
    const etag = first.headers.get("etag")!;
    assert.ok(etag);
    const again = await app.request("/assets/app.js", { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
  });

  it("is mounted by createServer (as an extension) at / without auth, while /v1 still needs a key", async () => {
    const { app } = createServer({
      store: createMemoryStore(),
      agents: [calculator],
      model: new ScriptedModel([]),
      apiKeys: "alice:0123456789",
      extensions: [webInbox()],
    });
    assert.equal((await app.request("/")).status, 200);
    assert.equal((await app.request("/assets/styles.css")).status, 200);
    const api = await app.request("/v1/threads");
    assert.equal(api.status, 401);
    assert.equal(api.headers.get("content-security-policy"), null, "the UI's headers stay on the UI's paths");
    assert.equal((await app.request("/")).headers.get("content-security-policy"), contentSecurityPolicy);
    const missing = await app.request("/assets/missing.js");
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, "not_found");
  });

  it("tells the inbox its refresh interval through a meta tag when one is set, and checks it", async () => {
    const meta = /<meta name="agentfold-inbox-refresh-ms" content="(\d+)" \/>\n\s*<\/head>/;
    const standard = await createWebApp().request("/");
    assert.doesNotMatch(await standard.text(), /agentfold-inbox-refresh-ms/, "the default is the UI's own");
    const quick = await createWebApp({ inboxRefreshMs: 250 }).request("/");
    assert.equal(meta.exec(await quick.text())?.[1], "250");
    assert.notEqual(quick.headers.get("etag"), standard.headers.get("etag"), "another page, another etag");
    for (const bad of [0, 5, 2.5, Number.NaN])
      assert.throws(() => createWebApp({ inboxRefreshMs: bad }), /inboxRefreshMs must be a whole number of milliseconds, at least 10/);
    // The inbox reads it by that name, and keeps 3 s without it.
    const inbox = readFileSync(join(webAssetsDirectory, "inbox.js"), "utf8");
    assert.match(inbox, /meta\[name="agentfold-inbox-refresh-ms"\][^\n]*\|\| 3000;/);
  });

  it("finds a missing index.html at start, with what to do", () => {
    assert.throws(() => webAssets(join(root, "packages/web/src")), /no index\.html.*reinstall/);
  });

  it("type-checks the browser modules (JSDoc types, checkJs)", () => {
    const tsc = join(root, "node_modules/typescript/bin/tsc");
    const result = spawnSync(process.execPath, [tsc, "-p", join(root, "packages/web/tsconfig.browser.json")], { encoding: "utf8" });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  });
});
