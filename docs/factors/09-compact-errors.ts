import { z } from "zod";
import { defineAgent, defineTool, doneForNow } from "agentfold";

/** Shipping rates, with a flaky upstream API. */
export const carrier = { failuresLeft: 0 };

const quoteShipping = defineTool({
  intent: "quote_shipping",
  description: "quote the price of shipping a parcel",
  args: z.object({ weightKg: z.number().positive(), country: z.string().length(2).describe("ISO 3166 code, e.g. DE") }),
  maxConsecutiveErrors: 2, // this tool's own limit, tighter than the agent's
  run: ({ weightKg, country }) => {
    // A thrown error becomes a compact `error` event the model reads on its next call.
    if (carrier.failuresLeft-- > 0) throw new Error("Carrier API timed out; try again or ask a person.");
    return { country, price: Math.round(weightKg * 4.5 * 100) / 100, currency: "EUR" };
  },
});

export const shipping = defineAgent({
  name: "shipping",
  tools: [quoteShipping, doneForNow()],
  // After 3 errors in a row (2 of quote_shipping), stop and ask a person how to go on.
  // A success, a person's answer or a new message resets the count.
  limits: { maxConsecutiveErrors: 3, onErrorLimit: "escalate" },
});
