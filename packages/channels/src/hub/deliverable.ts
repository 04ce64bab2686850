import type { Thread } from "agentfold";
import type { DeliverableItem } from "../channel.ts";

/** Approvals and questions go out on channels; paused child agents do not. */
export function isDeliverable(item: Thread["pending"][number]): item is DeliverableItem {
  return item.kind === "approval" || item.kind === "question";
}
