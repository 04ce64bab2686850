import { z } from "zod";
import { defineTool, parseModelOutput } from "agentfold";

/** "Create a payment link for $750 to Terri for the February meetup" should become this intent. */
export const createPaymentLink = defineTool({
  intent: "create_payment_link",
  description: "create a payment link a customer can pay",
  args: z.object({
    amount: z.number().positive().describe("In dollars"),
    customer: z.string().describe("The customer's email"),
    memo: z.string(),
  }),
  // `run` gets the validated, typed arguments: { amount: number; customer: string; memo: string }.
  run: ({ amount, customer, memo }) => ({ url: `https://pay.example.com/l/${encodeURIComponent(customer)}`, amount, memo }),
});

/** What the model sent, as text; prose or code fences around the JSON are tolerated. */
const reply = 'Sure. {"intent": "create_payment_link", "amount": 750, "customer": "terri@example.com", "memo": "February meetup"}';

/** `{ ok: true, calls: [{ intent: "create_payment_link", args: { amount: 750, ... } }] }`, or what to fix. */
export const parsed = parseModelOutput(reply, new Map([[createPaymentLink.intent, createPaymentLink]]));
