import { createMemoryStore } from "agentfold";
import { runThreadStoreConformance } from "agentfold/testing";

runThreadStoreConformance({ name: "memory", newStore: () => createMemoryStore() });
