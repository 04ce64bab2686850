/**
 * The parts of an inbound mail the email channel reads, as a zod schema over what mailparser gives:
 * a message whose headers parse to something else (a From with no address list, a References that is
 * not text) is a 400 naming the header instead of a crash further on.
 */
import { z } from "zod";

const addresses = z.object({ value: z.array(z.object({ address: z.string().optional() })) });

export const inboundMailSchema = z.object({
  from: addresses.optional(),
  to: z.union([addresses, z.array(addresses)]).optional(),
  subject: z.string().optional(),
  messageId: z.string().optional(),
  inReplyTo: z.string().optional(),
  references: z.union([z.string(), z.array(z.string())]).optional(),
  text: z.string().optional(),
  headerLines: z.array(z.object({ key: z.string(), line: z.string() })),
});
export type InboundMail = z.infer<typeof inboundMailSchema>;

/** What the channel keeps of a mail it sent or that started a thread: enough to reply in its thread. */
export const emailRecordSchema = z.object({ messageId: z.string(), subject: z.string(), references: z.array(z.string()) });
export type EmailRecord = z.infer<typeof emailRecordSchema>;
