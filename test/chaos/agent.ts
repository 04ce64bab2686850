/**
 * The campaign's agent: every tool writes each execution to the witness ledger, synchronously and
 * first thing (after the step's last lease check, before any await), so the ledger sees exactly the
 * runs that happened. `fetch_page` is idempotent and slow (a kill or a stop often lands inside it);
 * `note` is not idempotent; `transfer` is not idempotent and needs approval. The model follows a
 * plan chosen by the thread's id and indexed by its turn, so a retried model call decides the same.
 */
import { createHash } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import { z } from "zod";
import { askHuman, defineAgent, defineTool, doneForNow, type Agent, type Model, type ToolContext } from "agentfold";
import { recordRun } from "./ledger.ts";

type Step = Record<string, unknown> & { intent: string };

const fetchPage: Step = { intent: "fetch_page", url: "https://example.com/report" };
const note: Step = { intent: "note", text: "remember this" };
const transfer: Step = { intent: "transfer", amount: 10 };
const ask: Step = { intent: "request_more_information", question: "Which account?" };
const done: Step = { intent: "done_for_now", message: "finished" };

/** A plan per kind of thread: work until done, then more work after the person's next message. */
const plans: readonly (readonly Step[])[] = [
  [fetchPage, note, done, fetchPage, done],
  [fetchPage, transfer, done, note, done],
  [note, ask, fetchPage, done, transfer, done],
  [transfer, fetchPage, fetchPage, done, note, done],
];

/** The plan a thread follows, fixed by its id. */
export function planOf(threadId: string): readonly Step[] {
  const byte = createHash("sha256").update(threadId).digest()[0]!;
  return plans[byte % plans.length]!;
}

/** A model that replies by the thread's plan and turn; past the plan's end it is done. */
export function createPlanModel(): Model {
  return {
    specificationVersion: "v1",
    id: "chaos:plan",
    async generate(request) {
      return { output: planOf(request.threadId)[request.turn] ?? done };
    },
  };
}

/** The campaign agent over a ledger connection; `workMs` is how long fetch_page takes after its effect. */
export function createChaosAgent(ledger: DatabaseSync, workMs: () => number): Agent {
  const witness = (intent: string, idempotent: boolean, context: ToolContext) =>
    recordRun(ledger, {
      threadId: context.thread.id,
      callId: context.callId,
      intent,
      idempotencyKey: context.idempotencyKey,
      idempotent,
      fence: context.fence ?? null,
      pid: process.pid,
    });
  const fetchTool = defineTool({
    intent: "fetch_page",
    description: "fetch a web page",
    args: z.object({ url: z.string() }),
    idempotent: true,
    run: async ({ url }, context) => {
      witness("fetch_page", true, context);
      await new Promise((resolve) => setTimeout(resolve, workMs()));
      return `fetched ${url}`;
    },
  });
  const noteTool = defineTool({
    intent: "note",
    description: "write a note",
    args: z.object({ text: z.string() }),
    idempotent: false,
    run: ({ text }, context) => {
      witness("note", false, context);
      return `noted ${text}`;
    },
  });
  const transferTool = defineTool({
    intent: "transfer",
    description: "move money",
    args: z.object({ amount: z.number() }),
    approval: "required",
    idempotent: false,
    run: ({ amount }, context) => {
      witness("transfer", false, context);
      return `moved ${amount}`;
    },
  });
  return defineAgent({
    name: "chaos",
    tools: [fetchTool, noteTool, transferTool, askHuman({ intent: "request_more_information" }), doneForNow()],
  });
}
