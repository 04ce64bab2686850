import { z } from "zod";
import { defineAgent, defineTool, doneForNow, xmlContext, type Thread } from "agentfold";

const login = defineTool({
  intent: "login",
  description: "log in to the vendor portal",
  args: z.object({ user: z.string(), password: z.string() }),
  run: ({ user }) => ({ user, session: "s-81f2" }),
});

export const portal = defineAgent({
  name: "portal",
  tools: [login, doneForNow()],
  context: xmlContext({
    // One renderer per event type (or per custom event name); return null to hide an event.
    renderers: {
      user_input: (event, h) => h.block(event.source ? `${event.source}_message` : "message", event.text),
      "custom:debug": () => null,
    },
    redact: ["login.password", "login_result.session"], // block name, then keys in its body
    hideResolvedErrors: true, // an error that a later success resolved leaves the context
    maxTokens: 4000, // over budget, the oldest events are summarized; the compaction is an event too
  }),
});

/** The rendered context (XML-like tags with YAML bodies) and its token count. */
export function contextOf(thread: Thread) {
  const { context, tokens } = portal.render(thread);
  return { context, tokens };
}
