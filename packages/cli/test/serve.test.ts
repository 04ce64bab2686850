/**
 * `agentfold serve` starts the HTTP API on a real port for the agents of a module, and stops cleanly:
 * once as the real binary stopped by SIGTERM, the other times in this process, stopped by the signal
 * `main` is given.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { isLoopback } from "../src/commands/serve.ts";
import { bin, calculatorModule, captureStream, cleanEnv, fixtures, json, runCli, serve, tempDir, type CliResult } from "./helpers.ts";

describe("agentfold serve", () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir("serve");
  });
  after(() => dir.remove());

  test("serves launch and approval over HTTP; the CLI sees the same threads; SIGTERM stops it", async () => {
    const db = join(dir.path, "served.db");
    const child = spawn(
      process.execPath,
      [
        bin,
        "serve",
        "--agents",
        calculatorModule,
        "--db",
        db,
        "--port",
        "0",
        "--model",
        `script:${join(fixtures, "divide.json")}`,
        "--json",
      ],
      {
        cwd: dir.path,
        env: cleanEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      const started = Date.now();
      while (!stdout.trim().endsWith("}")) {
        if (Date.now() - started > 15_000 || child.exitCode !== null) throw new Error(`serve did not start:\n${stdout}\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const { url, agents } = JSON.parse(stdout) as { url: string; agents: string[] };
      assert.deepEqual(agents, ["calculator"]);

      // The web inbox is served at / next to the API.
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<html/i);
      const launched = await fetch(`${url}/v1/threads`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ agent: "calculator", message: "can you divide 3 by 4" }),
      });
      const thread = (await launched.json()) as { id: string; status: string; pending: Array<{ callId: string }> };
      assert.equal(thread.status, "awaiting_approval", JSON.stringify(thread));

      const listed = json<{ threads: Array<{ id: string; status: string }> }>(
        await runCli(["threads", "ls", "--db", db, "--json"], { cwd: dir.path }),
      );
      assert.deepEqual(
        listed.threads.map((item) => [item.id, item.status]),
        [[thread.id, "awaiting_approval"]],
      );

      const approved = await fetch(`${url}/v1/threads/${thread.id}/approvals/${thread.pending[0]?.callId}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ approved: true, args: { a: 3, b: 5 } }),
      });
      assert.equal(approved.status, 200, await approved.clone().text());
      let final = (await approved.json()) as { status: string; events: Array<{ type: string; result?: unknown }> };
      for (let attempt = 0; final.status !== "done" && attempt < 100; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        final = (await (await fetch(`${url}/v1/threads/${thread.id}`)).json()) as typeof final;
      }
      assert.equal(final.status, "done");
      assert.deepEqual(
        final.events.filter((event) => event.type === "tool_result").map((event) => event.result),
        [0.6],
      );
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0, stderr);
  });

  test("a non-loopback --host needs API keys or --no-auth", async () => {
    const db = join(dir.path, "auth.db");
    const base = [
      "serve",
      "--agents",
      calculatorModule,
      "--db",
      db,
      "--port",
      "0",
      "--model",
      `script:${join(fixtures, "divide.json")}`,
      "--json",
      "--no-ui",
    ];
    const refused = await runCli([...base, "--host", "0.0.0.0"], { cwd: dir.path });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      json<{ error: { message: string } }>(refused).error.message,
      /Refusing to serve on 0\.0\.0\.0 without API keys.*AGENTFOLD_API_KEYS="name:key".*--no-auth/,
    );
    const conflicting = await runCli([...base, "--host", "0.0.0.0", "--no-auth"], {
      cwd: dir.path,
      env: { AGENTFOLD_API_KEYS: "admin:admin-secret-key" },
    });
    assert.equal(conflicting.code, 2);

    for (const [extra, env, expected] of [
      [["--no-auth"], {}, { auth: "none", status: 200 }],
      [[], { AGENTFOLD_API_KEYS: "admin:admin-secret-key" }, { auth: "API keys", status: 401 }],
    ] as const) {
      const server = await serve([...base, "--host", "0.0.0.0", ...extra], { cwd: dir.path, env });
      let stopped: CliResult;
      try {
        const { url, auth } = server.started as { url: string; auth: string };
        assert.equal(auth, expected.auth);
        const port = new URL(url).port;
        assert.equal((await fetch(`http://127.0.0.1:${port}/v1/threads`)).status, expected.status);
      } finally {
        stopped = await server.stop();
      }
      assert.equal(stopped.code, 0, stopped.stderr);
    }
    // Loopback stays open by default.
    for (const host of ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"]) assert.ok(isLoopback(host), host);
    for (const host of ["0.0.0.0", "::", "192.168.1.5", "example.com"]) assert.ok(!isLoopback(host), host);
  });

  test("without keys it answers only its own names: localhost, IP addresses, --allowed-host and AGENTFOLD_ALLOWED_HOSTS", async () => {
    const db = join(dir.path, "hosts.db");
    const base = [
      "serve",
      "--agents",
      calculatorModule,
      "--db",
      db,
      "--port",
      "0",
      "--model",
      `script:${join(fixtures, "divide.json")}`,
      "--json",
      "--no-ui",
    ];
    const invalid = await runCli([...base, "--allowed-host", "http://agents.example.com"], { cwd: dir.path });
    assert.equal(invalid.code, 2, invalid.stderr);
    assert.match(json<{ error: { message: string } }>(invalid).error.message, /Allowed host "http:\/\/agents\.example\.com" is invalid/);

    const server = await serve([...base, "--allowed-host", "agents.example.com"], {
      cwd: dir.path,
      env: { AGENTFOLD_ALLOWED_HOSTS: "other.example" },
    });
    let stopped: CliResult;
    try {
      const { url } = server.started as { url: string };
      const statusFor = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const request = httpRequest(new URL("/v1/threads", url), { headers: { host } }, (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          });
          request.on("error", reject).end();
        });
      const port = new URL(url).port;
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `agents.example.com:${port}`, "other.example"])
        assert.equal(await statusFor(host), 200, host);
      assert.equal(await statusFor(`attacker.example:${port}`), 403);
    } finally {
      stopped = await server.stop();
    }
    assert.equal(stopped.code, 0, stopped.stderr);
  });

  test("a busy port: a usage error naming the port and --port, not the raw EADDRINUSE", async () => {
    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = taken.address() as AddressInfo;
      const result = await runCli(["serve", "--agents", calculatorModule, "--port", String(port), "--db", join(dir.path, "busy.db")], {
        cwd: dir.path,
      });
      assert.equal(result.code, 2);
      assert.match(
        result.stderr,
        new RegExp(`^error: Cannot listen on port ${port} on 127\\.0\\.0\\.1: it is already in use .*pass --port <n> to use another one`),
      );
      assert.doesNotMatch(result.stderr, /EADDRINUSE/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  test("the banner lists every route group, the module's extensions' included", async () => {
    const module = join(dir.path, "with-extension.ts");
    writeFileSync(
      module,
      `export { calculator as default } from ${JSON.stringify(calculatorModule)};
export const extensions = [{ name: "hello", mount: ({ app }) => { app.get("/hello", (c) => c.text("hi")); app.post("/hello/:name", (c) => c.text("hi")); } }];
`,
    );
    const db = join(dir.path, "banner.db");
    const { started, stop } = await serve(["serve", "--agents", module, "--port", "0", "--db", db, "--json"], { cwd: dir.path });
    await stop();
    const routes = started.routes as Array<{ name: string; paths: string[] }>;
    assert.deepEqual(
      routes.map((group) => group.name),
      ["hello", "web-inbox", "api"],
    );
    assert.deepEqual(routes[0]?.paths, ["/hello", "/hello/:name"]);
    assert.ok(routes[2]?.paths.includes("/v1/threads/:id/cancel"));

    const controller = new AbortController();
    const stdout = captureStream();
    const running = runCli(["serve", "--agents", module, "--port", "0", "--db", db, "--no-ui"], {
      cwd: dir.path,
      stdout,
      signal: controller.signal,
    });
    let ended = false;
    void running.then(() => (ended = true));
    while (!stdout.text.includes("Ctrl-C stops") && !ended) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    assert.equal((await running).code, 0);
    assert.match(
      stdout.text,
      /\n {2}routes: hello {2}\/hello\/…\n {10}api {4}\/v1\/threads\/…, \/v1\/chat, \/healthz, \/readyz, \/v1\/agents, \/openapi\.json, \/metrics\n/,
    );
  });

  test("--lease-ttl sets the runner's lease TTL: seconds or ms; anything else is a usage error", async () => {
    const db = join(dir.path, "lease.db");
    for (const [given, ms] of [
      [undefined, 5_000],
      ["45", 45_000],
      ["2.5s", 2500],
      ["1500ms", 1500],
    ] as const) {
      const ttl = given === undefined ? [] : ["--lease-ttl", given];
      const { started, stop } = await serve(["serve", "--agents", calculatorModule, "--port", "0", "--db", db, "--json", ...ttl], {
        cwd: dir.path,
      });
      await stop();
      assert.equal(started.leaseTtlMs, ms, String(given));
    }
    for (const bad of ["soon", "0", "50ms", "-5", "1m"]) {
      const result = await runCli(["serve", "--agents", calculatorModule, "--lease-ttl", bad], { cwd: dir.path });
      assert.equal(result.code, 2, bad);
      assert.match(result.stderr, /--lease-ttl must be a duration from 100ms to 86400s: seconds \(30, 2\.5s\) or milliseconds \(1500ms\)/);
    }
  });

  test("a port that is not a number is a usage error", async () => {
    const result = await runCli(["serve", "--agents", calculatorModule, "--port", "http"], { cwd: dir.path });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--port must be a number from 0 to 65535/);
  });
});
