/**
 * What the hub's modules share: the server it is mounted on (set once by `mount`) and whether it
 * is closed. Every piece reads the server through `mountedServer`, so using the hub before it is
 * mounted is one clear error.
 */
import { ConfigurationError, type Agent, type ThreadStore } from "agentfold";
import type { Runner } from "@agentfold/server";

export interface MountedServer {
  readonly runner: Runner;
  readonly store: ThreadStore;
  readonly agents: ReadonlyMap<string, Agent>;
}

export interface HubState {
  server: MountedServer | undefined;
  /** Set by `close()`: no new deliveries start, and sweeps stop where they are. */
  closed: boolean;
}

export function mountedServer(state: HubState): MountedServer {
  if (!state.server) throw new ConfigurationError("The channels are not mounted: pass them to createServer({ extensions: [channels] }).");
  return state.server;
}
