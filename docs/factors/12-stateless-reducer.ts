import { Thread, type Agent, type Model, type ThreadState } from "agentfold";
import { emptyThreadState, reduceThreadState } from "agentfold/runtime";

/** The agent is a fold: (thread) -> thread with new events. It keeps nothing between calls. */
export function next(agent: Agent, thread: Thread, model: Model): Promise<Thread> {
  return agent.step(thread, { model });
}

/** Status, pending items and counters are themselves a fold over the events. */
export function replayState(thread: Thread): ThreadState {
  return thread.events.reduce<ThreadState>((state, event, index) => reduceThreadState(state, event, index), emptyThreadState);
}

/** Replaying a stored thread renders it again without calling the model or any tool. */
export function reload(agent: Agent, json: string) {
  const thread = Thread.fromJSON(json);
  return { status: thread.status, context: agent.render(thread).context, next: agent.nextAction(thread).type };
}
