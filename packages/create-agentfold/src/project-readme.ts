/**
 * The README of a new project: how to run, test and change the starter agent. Every command in it
 * runs as written inside the project (the `agentfold` command is a local dependency, hence `npx`).
 */

/**
 * The README text for a project called `name`.
 *
 * @example
 * writeFileSync("README.md", projectReadme("my-agent"));
 */
export function projectReadme(name: string): string {
  return `# ${name}

An agent built with [agentfold](https://www.npmjs.com/package/agentfold): the thread of events is the
only state, every step is stored, and a person approves what needs approving.

## Run it

\`\`\`sh
npm install
npm start
npm run start:approval
npm test
\`\`\`

\`npm start\` runs \`agent.ts\` with the model replies written in \`script.json\`, so no API key is
needed. \`npm run start:approval\` calls a tool that needs approval: in a terminal you are asked to
approve, edit the arguments or reject. \`npm test\` runs the evals, the unit tests, then the
type-check.

Threads are stored in \`.agentfold/agentfold.db\` (SQLite). Look at them, and at the exact model
input of a thread's next step:

\`\`\`sh
npx agentfold threads ls
npx agentfold threads show <thread-id>
npx agentfold threads render <thread-id>
\`\`\`

Without a terminal (in a script or CI) \`agentfold run\` prints what the thread waits for and exits
with code 3; continue it with the printed command, e.g. \`npx agentfold approve <thread-id> <call-id>\`
(or \`reject\`, \`respond\`). Add \`--json\` for machine-readable output.

## What is here

| file | what |
|---|---|
| \`agent.ts\` | the agent: its tools, instructions and limits |
| \`agent.test.ts\` | a unit test with \`ScriptedModel\` (\`node --test\`) |
| \`agent.eval.ts\` | evals: a thread and what the next step must be (\`npx agentfold test\`) |
| \`script.json\`, \`script-approval.json\` | scripted model replies for \`npm start\` and \`npm run start:approval\` |

## Use a real model

Install the provider's package once, then pass a model spec (or set \`AGENTFOLD_MODEL\`):

\`\`\`sh
npm install @ai-sdk/openai
OPENAI_API_KEY=... npx agentfold run agent.ts "how many words are in: the quick brown fox" --model openai:gpt-4o-mini
\`\`\`

\`anthropic:<model>\` needs \`@ai-sdk/anthropic\`, \`google:<model>\` needs \`@ai-sdk/google\`, and
\`ollama:<model>\` or \`openai-compatible:<url>#<model>\` need \`@ai-sdk/openai-compatible\`;
\`local:<file.gguf>\` runs a model in process with \`node-llama-cpp\`.

Measure how often a real model takes the right next step on the evals:

\`\`\`sh
npx agentfold test --model openai:gpt-4o-mini --runs 5
\`\`\`

## Serve it over HTTP

\`\`\`sh
npx agentfold serve --agents agent.ts --port 3000 --model script:script-approval.json
\`\`\`

serves the HTTP API and a web inbox at http://127.0.0.1:3000: approve, edit or reject the calls
that wait (a thread left waiting by \`npm run start:approval\` is there too), answer questions, and
start threads with "New thread…". \`--model\` gives every thread the scripted replies of
\`npm run start:approval\`, so no API key is needed; give a real model's spec instead (e.g.
\`--model openai:gpt-4o-mini\`, see above) to talk to a real model.

## Node.js

Node.js 22.18 or newer (or 24) runs the \`.ts\` files directly. On Node 22.13 to 22.17, either
\`export NODE_OPTIONS=--experimental-strip-types\`, or compile with \`npx tsc\` (to \`dist/\`) and run
\`npx agentfold run dist/agent.js "…"\`.
`;
}
