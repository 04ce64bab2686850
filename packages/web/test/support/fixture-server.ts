/**
 * A real agentfold server for the UI tests: a SQLite file, a loopback port, the calculator example,
 * a small "notes" agent whose tool takes strings, lists, enums and nested objects (to exercise the
 * argument form and escaping) and an "ops" agent whose tool has optional fields. The model is scripted: it reads the rendered thread and reacts to the
 * last thing that happened, like a model would.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { type Clock, defineAgent, defineTool, doneForNow, type Model, type ModelRequest, type ThreadStore } from "agentfold";
import { ScriptedModel } from "agentfold/testing";
import { startServer, type RunningServer } from "@agentfold/server";
import { createSqliteStore } from "@agentfold/stores";
import { webInbox } from "../../src/index.ts";
import { calculator } from "../../../../examples/calculator/agent.ts";

export const xss = "<img src=x onerror=alert(1)>";

const saveNote = defineTool({
  intent: "save_note",
  description: "save a note for the team",
  args: z.object({
    title: z.string().min(1),
    tags: z.array(z.string()),
    priority: z.enum(["low", "normal", "high"]),
    pinned: z.boolean(),
    copies: z.number().int().min(1),
    meta: z.object({ source: z.string() }),
  }),
  approval: "required",
  run: (args) => `saved ${args.title}`,
});

export const notes = defineAgent({ name: "notes", description: "keeps notes", tools: [saveNote, doneForNow()] });

const deploy = defineTool({
  intent: "deploy",
  description: "deploy a service",
  args: z.object({
    service: z.string().min(1),
    dryRun: z.boolean().optional(),
    tags: z.array(z.string()).optional(),
  }),
  approval: "required",
  run: (args) => `deployed ${args.service}`,
});

/** The arguments the scripted model gives `deploy`: `dryRun` left out, and an empty tag. */
export const deployArgs = { service: "api", tags: ["a", "", "b"] };

export const ops = defineAgent({ name: "ops", description: "deploys services", tools: [deploy, doneForNow()] });

/** The last `<tag>body</tag>` block of the rendered thread. */
function lastBlock(request: ModelRequest): { name: string; body: string; context: string } {
  const context = request.messages.at(-1)?.content ?? "";
  const blocks = [...context.matchAll(/<([a-z_]+)>\n([\s\S]*?)\n<\/\1>/g)];
  const last = blocks.at(-1);
  // A block may start with who wrote it ("from: alice"); the rest is the text.
  return { name: last?.[1] ?? "", body: (last?.[2] ?? "").replace(/^from: .*\n/, ""), context };
}

/** What the scripted model does next, from what happened last. */
function reply(request: ModelRequest): unknown {
  const { name, body, context } = lastBlock(request);
  if (name === "user_input") {
    if (body.startsWith("divide")) {
      const [a, b] = (body.match(/-?\d+(\.\d+)?/g) ?? ["1", "1"]).map(Number);
      return { intent: "divide", a, b };
    }
    if (body === "add two numbers")
      return { intent: "request_more_information", question: "Which two numbers should I add?", urgency: "high" };
    if (body === "pick an operation") {
      return {
        intent: "request_more_information",
        question: "Which operation?",
        format: "multiple_choice",
        choices: ["add", "multiply"],
        urgency: "low",
      };
    }
    if (body === "deploy api") return { intent: "deploy", ...deployArgs };
    if (body === "save a note") {
      return {
        intent: "save_note",
        title: xss,
        tags: ["<b>bold</b>", "ops"],
        priority: "normal",
        pinned: false,
        copies: 1,
        meta: { source: "<script>alert(2)</script>" },
      };
    }
    return { intent: "done_for_now", message: `I do not know how to "${body}".` };
  }
  if (name.endsWith("_result")) return { intent: "done_for_now", message: `The result is ${body.trim()}.` };
  if (name.endsWith("_approval") && body.includes("approved: false")) {
    const comment = /comment: (.*)/.exec(body)?.[1] ?? "";
    const divisor = Number(/\d+/.exec(comment)?.[0] ?? "1");
    const dividend = Number(/<user_input>\n(?:from: .*\n)?divide (-?\d+)/.exec(context)?.[1] ?? "1");
    return { intent: "divide", a: dividend, b: divisor };
  }
  if (name === "human_response") {
    const numbers = (body.match(/-?\d+/g) ?? []).map(Number);
    if (numbers.length >= 2) return { intent: "add", a: numbers[0], b: numbers[1] };
    return { intent: "done_for_now", message: `You chose ${body}.` };
  }
  return { intent: "done_for_now", message: "Nothing left to do." };
}

export interface FixtureServer {
  server: RunningServer;
  url: string;
  /** Launches a thread through the API and waits until it pauses or finishes. */
  launch(message: string, agent?: string): Promise<{ id: string; status: string; pending: { callId: string }[] }>;
  /** GET a thread through the API. */
  thread(id: string): Promise<{
    id: string;
    status: string;
    version: number;
    events: { type: string; [key: string]: unknown }[];
    pending: { callId: string }[];
  }>;
  close(): Promise<void>;
}

/**
 * Starts the server on a free loopback port with a fresh SQLite file. `seed` writes threads into the
 * store before the server opens it (much faster than launching them through the API).
 *
 * @example
 * const fixture = await startFixtureServer();
 * await fixture.launch("divide 3 by 4");
 */
export async function startFixtureServer(
  options: {
    apiKeys?: string;
    seed?: (store: ThreadStore) => Promise<void>;
    /** The clock of the store `seed` writes with (to date the threads it creates); default the system's. */
    seedClock?: Clock;
    /** The inbox's refresh interval; default the UI's own (3 s). */
    inboxRefreshMs?: number;
    /** The model every agent uses; default the scripted one above. */
    model?: Model;
  } = {},
): Promise<FixtureServer> {
  const directory = mkdtempSync(join(tmpdir(), "agentfold-web-"));
  if (options.seed) {
    const store = createSqliteStore({ path: join(directory, "agentfold.db"), ...(options.seedClock ? { clock: options.seedClock } : {}) });
    try {
      await options.seed(store);
    } finally {
      await store.close();
    }
  }
  const model =
    options.model ??
    new ScriptedModel(
      Array.from({ length: 12 }, () => reply),
      { id: "script:web-test", usage: { inputTokens: 412, outputTokens: 18, cost: 0.00021 } },
    );
  const server = await startServer({
    store: join(directory, "agentfold.db"),
    agents: [calculator, notes, ops],
    model,
    port: 0,
    apiKeys: options.apiKeys ?? false,
    pollIntervalMs: 100,
    extensions: [webInbox(options.inboxRefreshMs === undefined ? {} : { inboxRefreshMs: options.inboxRefreshMs })],
  });
  const headers: Record<string, string> = { "content-type": "application/json" };
  const key = options.apiKeys?.split(":")[1];
  if (key) headers.authorization = `Bearer ${key}`;
  return {
    server,
    url: server.url,
    async launch(message, agent = "calculator") {
      const response = await fetch(`${server.url}/v1/threads`, { method: "POST", headers, body: JSON.stringify({ agent, message }) });
      if (!response.ok) throw new Error(`Launch failed with ${response.status}: ${await response.text()}`);
      return (await response.json()) as Awaited<ReturnType<FixtureServer["launch"]>>;
    },
    async thread(id) {
      const response = await fetch(`${server.url}/v1/threads/${id}`, { headers });
      if (!response.ok) throw new Error(`GET thread failed with ${response.status}: ${await response.text()}`);
      return (await response.json()) as Awaited<ReturnType<FixtureServer["thread"]>>;
    },
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
