/**
 * A throwaway npm registry (verdaccio) for the round-trip test: agentfold's packages are published
 * to it from their tarballs; everything else is proxied from the public registry, so a fresh
 * project installs exactly as a user's would.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { repositoryRoot, userEnvironment, type PackedPackage } from "../packaging/pack-packages.ts";

export interface LocalRegistry {
  url: string;
  /** An npm user config that points at this registry with a publish token. */
  userconfig: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}:\n${output()}`);
    try {
      if ((await fetch(`${url}/-/ping`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`verdaccio did not answer on ${url} within 30 s:\n${output()}`);
}

/** Starts verdaccio with its storage under `directory`. */
export async function startLocalRegistry(directory: string): Promise<LocalRegistry> {
  mkdirSync(join(directory, "storage"), { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(directory, "config.yaml");
  const ownPackages = ["agentfold", "create-agentfold", "'@agentfold/*'"];
  writeFileSync(
    config,
    [
      `storage: ${join(directory, "storage")}`,
      "auth:",
      "  htpasswd:",
      `    file: ${join(directory, "htpasswd")}`,
      "uplinks:",
      "  npmjs:",
      "    url: https://registry.npmjs.org/",
      "    timeout: 60s",
      "packages:",
      // Ours are never proxied: only what this test published may be installed under these names.
      ...ownPackages.flatMap((name) => [`  ${name}:`, "    access: $all", "    publish: $authenticated"]),
      "  '**':",
      "    access: $all",
      "    proxy: npmjs",
      "log: { type: stdout, format: pretty, level: warn }",
      "",
    ].join("\n"),
  );
  const child = spawn(
    process.execPath,
    [join(repositoryRoot, "node_modules", "verdaccio", "bin", "verdaccio"), "--config", config, "--listen", `127.0.0.1:${port}`],
    {
      env: userEnvironment(),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await waitUntilUp(url, child, () => output);

  // npm refuses to publish without credentials: make a user and keep its token.
  const response = await fetch(`${url}/-/user/org.couchdb.user:ci`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "ci", password: "ci-password", email: "ci@example.test", type: "user" }),
  });
  const { token } = (await response.json()) as { token?: string };
  if (!token) throw new Error(`verdaccio gave no token (${response.status}):\n${output}`);
  const userconfig = join(directory, "npmrc");
  writeFileSync(userconfig, `registry=${url}/\n//127.0.0.1:${port}/:_authToken=${token}\nfund=false\naudit=false\nupdate-notifier=false\n`);

  return {
    url,
    userconfig,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Publishes each tarball, dependencies first, as `npm publish` from a user's machine would. */
export function publishAll(registry: LocalRegistry, packages: PackedPackage[], cache: string): void {
  for (const entry of packages) {
    execFileSync("npm", ["publish", entry.tarball, "--registry", `${registry.url}/`, "--tag", "latest"], {
      env: userEnvironment({ npm_config_userconfig: registry.userconfig, npm_config_cache: cache }),
      stdio: ["ignore", "ignore", "pipe"],
    });
  }
}
