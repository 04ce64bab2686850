/**
 * `agentfold init`: the files of a new agent project. While agentfold is used from a checkout of
 * its repository, the dependencies point at the checkout's packages with `file:` paths (computed
 * from where this CLI lives); from an installed CLI they are ordinary version ranges.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError } from "./exit-codes.ts";

/** The packages a scaffolded project depends on, by package name, and the folder each lives in. */
const workspacePackages = [
  ["agentfold", "core"],
  ["@agentfold/cli", "cli"],
  ["@agentfold/models", "models"],
  ["@agentfold/stores", "stores"],
  ["@agentfold/server", "server"],
] as const;

/**
 * The dependency specs for agentfold's packages: `file:` paths into the checkout this CLI runs from,
 * or `^<version>` when it was installed from a registry.
 *
 * @example
 * agentfoldDependencies(); // { agentfold: "file:/src/agentfold/packages/core", ... }
 */
export function agentfoldDependencies(cliRoot = realpathSync(fileURLToPath(new URL("..", import.meta.url)))): Record<string, string> {
  const packagesDir = dirname(cliRoot);
  const version = (JSON.parse(readFileSync(join(cliRoot, "package.json"), "utf8")) as { version: string }).version;
  const dependencies: Record<string, string> = {};
  for (const [name, folder] of workspacePackages) {
    const manifest = join(packagesDir, folder, "package.json");
    const inCheckout = existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === name;
    dependencies[name] = inCheckout ? `file:${join(packagesDir, folder)}` : `^${version}`;
  }
  return dependencies;
}

function packageName(directory: string): string {
  const name = basename(directory)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+/, "");
  return name || "my-agent";
}

/** The first message of the starter script, and what the scripted model answers. */
export const starterMessage = "how many words are in this sentence";

/**
 * The files of a new project, by relative path.
 *
 * @example
 * const files = projectFiles("my-agent", agentfoldDependencies());
 * Object.keys(files); // ["package.json", "agent.ts", "script.json", ...]
 */
export function projectFiles(name: string, dependencies: Record<string, string>): Record<string, string> {
  const manifest = {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    description: "An agentfold agent.",
    scripts: {
      start: `agentfold run agent.ts "${starterMessage}" --model script:script.json`,
      "start:approval": `agentfold run agent.ts "publish a note saying hello" --model script:script-approval.json`,
      test: "node --test",
    },
    engines: { node: ">=24" },
    dependencies: { ...dependencies, zod: "^4.1.0" },
  };
  return {
    "package.json": `${JSON.stringify(manifest, null, 2)}\n`,
    "agent.ts": agentSource,
    "script.json": `${JSON.stringify(
      {
        steps: [
          { intent: "count_words", text: starterMessage },
          { intent: "done_for_now", message: `"${starterMessage}" has 7 words.` },
        ],
      },
      null,
      2,
    )}\n`,
    "script-approval.json": `${JSON.stringify(
      {
        steps: [
          { intent: "publish_note", title: "hello", body: "Hello from my first agent." },
          { intent: "done_for_now", message: "Published the note." },
        ],
      },
      null,
      2,
    )}\n`,
    "agent.test.ts": testSource,
    "tsconfig.json": `${JSON.stringify(
      {
        compilerOptions: {
          target: "es2024",
          module: "nodenext",
          moduleResolution: "nodenext",
          strict: true,
          noEmit: true,
          allowImportingTsExtensions: true,
          verbatimModuleSyntax: true,
          erasableSyntaxOnly: true,
          skipLibCheck: true,
        },
        include: ["*.ts"],
      },
      null,
      2,
    )}\n`,
    ".gitignore": "node_modules/\n.agentfold/\n",
    "README.md": readme(name),
  };
}

/**
 * Writes a new project into `directory` (created if needed). Refuses a non-empty directory unless
 * `force` is set; never overwrites an existing file even then.
 *
 * @example
 * const written = writeProject("./my-agent");
 */
export function writeProject(directory: string, options: { force?: boolean; dependencies?: Record<string, string> } = {}): string[] {
  const target = resolve(directory);
  if (existsSync(target) && readdirSync(target).length > 0 && !options.force) {
    throw new CliError(`${directory} is not empty. Pick a new directory, or pass --force to add the files that are missing.`);
  }
  mkdirSync(target, { recursive: true });
  const files = projectFiles(packageName(target), options.dependencies ?? agentfoldDependencies());
  const written: string[] = [];
  for (const [file, content] of Object.entries(files)) {
    const path = join(target, file);
    if (existsSync(path)) continue;
    writeFileSync(path, content);
    written.push(file);
  }
  return written;
}

const agentSource = `/**
 * A starter agent. It counts words on its own and asks a person before it publishes a note.
 * Change the tools and instructions, or give it your own prompt and context renderer.
 */
import { z } from "zod";
import { askHuman, defineAgent, defineTool, doneForNow } from "agentfold";

export const countWords = defineTool({
  intent: "count_words",
  description: "count the words in a text",
  args: z.object({ text: z.string() }),
  run: ({ text }) => text.trim().split(/\\s+/).filter(Boolean).length,
});

export const publishNote = defineTool({
  intent: "publish_note",
  description: "publish a short note for the team",
  args: z.object({ title: z.string(), body: z.string() }),
  // A person approves (or edits, or rejects) every call before it runs.
  approval: "required",
  run: ({ title }) => ({ published: true, title }),
});

export const assistant = defineAgent({
  name: "assistant",
  description: "counts words and publishes notes",
  instructions: "Use one tool per step. Ask when the request is unclear.",
  tools: [countWords, publishNote, askHuman(), doneForNow()],
  limits: { maxSteps: 10, maxConsecutiveErrors: 3 },
});

export default assistant;
`;

const testSource = `import { test } from "node:test";
import assert from "node:assert/strict";
import { ScriptedModel } from "agentfold/testing";
import { assistant } from "./agent.ts";

test("publishing waits for approval, then runs what was approved", async () => {
  const model = new ScriptedModel([
    { intent: "publish_note", title: "hello", body: "Hi" },
    { intent: "done_for_now", message: "Published." },
  ]);
  let thread = await assistant.run(assistant.start("publish a note saying hi"), { model });
  assert.equal(thread.status, "awaiting_approval");
  const [pending] = thread.pending;
  assert.ok(pending);
  thread = assistant.approve(thread, pending.callId, { args: { title: "hello", body: "Hi!" } });
  thread = await assistant.run(thread, { model });
  assert.equal(thread.status, "done");
});
`;

function readme(name: string): string {
  return `# ${name}

An agent built with agentfold: the thread of events is the only state, every step is stored, and a
person approves what needs approving.

## Run it

\`\`\`sh
npm install
npm start                 # runs agent.ts with the scripted model in script.json
npm run start:approval    # a tool that needs approval: you are asked in the terminal
npm test
\`\`\`

Threads are stored in \`.agentfold/agentfold.db\` (SQLite). Look at them:

\`\`\`sh
npx agentfold threads ls
npx agentfold threads show <thread-id>
npx agentfold threads render <thread-id>     # the exact model input
\`\`\`

Without a terminal (in a script or CI) \`agentfold run\` prints what the thread waits for and exits
with code 3; continue it with \`npx agentfold approve <thread-id> <call-id>\` (or \`reject\`,
\`respond\`). Add \`--json\` for machine-readable output.

## Use a real model

\`\`\`sh
OPENAI_API_KEY=... npx agentfold run agent.ts "how many words in: the quick brown fox"
npx agentfold run agent.ts "..." --model ollama:llama3.2
npx agentfold run agent.ts "..." --model local:/path/to/model.gguf
\`\`\`

## Serve it over HTTP

\`\`\`sh
npx agentfold serve --agents agent.ts --port 3000
\`\`\`
`;
}
