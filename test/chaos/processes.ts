/**
 * The campaign's server processes: each slot runs one `server.ts` at a time and can be killed,
 * stopped, continued and restarted. A process that dies of SIGKILL the harness did not send was
 * killed by its armed fault point; the slot counts it under that point.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("./server.ts", import.meta.url));

/** What a process that cannot reach Postgres at start prints before it exits with 1. */
const databaseAway = /ECONNRESET|ECONNREFUSED|Connection terminated|store_unavailable/;

/** How much of a process's stderr is kept for a failure's report. */
const stderrKeptChars = 4_000;

export interface ServerSlot {
  readonly index: number;
  /** The URL of the live process, or undefined while none runs (or it is starting). */
  url(): string | undefined;
  /** The AGENTFOLD_FAULT of the current (or last) process. */
  fault(): string;
  /** Running and not stopped: requests to it can be answered. */
  serving(): boolean;
  /** A process exists (it may be stopped). */
  alive(): boolean;
  /** Starts a process with `fault` as its AGENTFOLD_FAULT ("" for none); resolves once it listens. */
  start(fault: string): Promise<void>;
  /** SIGKILL from the harness (a "random kill"). */
  kill(): Promise<void>;
  stop(): void;
  cont(): void;
  /** SIGTERM and wait: the orderly end of the campaign. */
  close(): Promise<void>;
  /** The last part of stderr of every process this slot ran. */
  stderr(): string;
}

export interface SlotEvents {
  /** A process died of a SIGKILL it sent itself at the armed fault point `point`. */
  onFaultKill(point: string): void;
  /** A process could not start because its database link was cut: it exits, to be started again. */
  onFailedStart(reason: string): void;
  /** A process exited in any other way the harness did not ask for. */
  onUnexpectedExit(description: string): void;
}

/** The point a process was armed with, from its AGENTFOLD_FAULT ("tool-started:0.1" gives "tool-started"). */
function armedPoint(fault: string): string {
  return fault.split(",")[0]!.split(":")[0]!;
}

export function createServerSlot(index: number, env: Record<string, string>, events: SlotEvents): ServerSlot {
  let child: ChildProcess | undefined;
  let url: string | undefined;
  let stopped = false;
  let expectingExit = false;
  let exited: Promise<void> = Promise.resolve();
  let stderr = "";
  let armed = "";

  const slot: ServerSlot = {
    index,
    url: () => url,
    fault: () => armed,
    serving: () => child !== undefined && url !== undefined && !stopped,
    alive: () => child !== undefined,
    stderr: () => stderr,
    async start(fault) {
      if (child) throw new Error(`Slot ${index} already runs a process.`);
      const process_ = spawn(process.execPath, [script], {
        env: { ...process.env, ...env, AGENTFOLD_FAULT: fault },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child = process_;
      armed = fault;
      stopped = false;
      expectingExit = false;
      // This process's own stderr (to tell why it exited) and the slot's, across its processes.
      let own = "";
      process_.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
        own = (own + chunk).slice(-stderrKeptChars);
        stderr = (stderr + chunk).slice(-stderrKeptChars);
      });
      exited = new Promise<void>((resolve) =>
        process_.once("exit", (code, signal) => {
          const listened = url !== undefined;
          if (child === process_) {
            child = undefined;
            url = undefined;
          }
          if (!expectingExit) {
            if (signal === "SIGKILL" && fault !== "") events.onFaultKill(armedPoint(fault));
            else if (!listened && code === 1 && databaseAway.test(own)) events.onFailedStart(own.match(databaseAway)![0]);
            else
              events.onUnexpectedExit(
                `slot ${index} (AGENTFOLD_FAULT=${JSON.stringify(fault)}) exited with ${signal ?? code}; stderr ends: ${own.slice(-600)}`,
              );
          }
          resolve();
        }),
      );
      await new Promise<void>((resolve, reject) => {
        let stdout = "";
        const timer = setTimeout(() => reject(new Error(`Slot ${index}: the server did not start in 30 s. stderr:\n${stderr}`)), 30_000);
        process_.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
          stdout += chunk;
          const line = stdout.split("\n").find((candidate) => candidate.startsWith("{"));
          if (line && stdout.includes("\n") && url === undefined && child === process_) {
            clearTimeout(timer);
            url = (JSON.parse(line) as { url: string }).url;
            resolve();
          }
        });
        process_.once("exit", () => {
          clearTimeout(timer);
          // Died while starting (a fault point can fire in the first recovery sweep): not listening, not an error.
          resolve();
        });
      });
    },
    async kill() {
      if (!child) return;
      expectingExit = true;
      child.kill("SIGKILL");
      await exited;
    },
    stop() {
      if (!child || stopped) return;
      stopped = true;
      child.kill("SIGSTOP");
    },
    cont() {
      if (!child || !stopped) return;
      stopped = false;
      child.kill("SIGCONT");
    },
    async close() {
      if (!child) return;
      expectingExit = true;
      if (stopped) slot.cont();
      child.kill("SIGTERM");
      const timer = setTimeout(() => child?.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return slot;
}
