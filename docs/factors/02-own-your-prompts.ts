import { defineAgent, doneForNow, type PromptFunction } from "agentfold";

/** The whole prompt, roles included, is a function you write, version and test. */
export const supportPrompt: PromptFunction = ({ context, intents }) => [
  {
    role: "system",
    content: [
      "You are a support agent for Acme. Be brief; never promise refunds.",
      'Reply with one JSON object: {"intent": ..., ...arguments}. Intents:',
      ...intents.map((spec) => `- ${spec.intent}: ${spec.description}; arguments: ${JSON.stringify(spec.parameters)}`),
    ].join("\n"),
  },
  { role: "user", content: `${context}\nWhat is the next step?` },
];

export const support = defineAgent({ name: "support", tools: [doneForNow()], prompt: supportPrompt });

/** Exactly the messages the next step would send, and their token count; no model is called. */
export function preview(text: string) {
  return support.render(support.start(text));
}
