import { z } from "zod";
import { defineAgent, defineTool, doneForNow } from "agentfold";

const listGitTags = defineTool({
  intent: "list_git_tags",
  description: "list the git tags of the backend, newest first",
  args: z.object({}),
  idempotent: true, // prefetch tools may run again after a crash
  run: () => ["v1.5.0", "v1.4.1", "v1.4.0"],
});

const lookupOnCall = defineTool({
  intent: "lookup_on_call",
  description: "who is on call for a team",
  args: z.object({ team: z.string() }),
  idempotent: true,
  run: ({ team }) => ({ team, person: "lee@example.com" }),
});

const deployBackend = defineTool({
  intent: "deploy_backend",
  description: "deploy a tag to staging",
  args: z.object({ tag: z.string() }),
  run: ({ tag }) => ({ deployed: tag }),
});

/** The model nearly always needs the tags and the on-call person: fetch them before its first call. */
export const deployer = defineAgent({
  name: "deployer",
  tools: [listGitTags, deployBackend, doneForNow()],
  prefetch: [listGitTags, { tool: lookupOnCall, args: { team: "backend" } }],
});
