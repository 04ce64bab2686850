import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runThreadStoreConformance } from "agentfold/testing";
import { createSqliteStore } from "@agentfold/stores";

const directory = mkdtempSync(join(tmpdir(), "agentfold-sqlite-"));
let count = 0;
runThreadStoreConformance({
  name: "sqlite",
  newStore: () => createSqliteStore({ path: join(directory, `store-${count++}.db`) }),
  cleanup: () => rmSync(directory, { recursive: true, force: true }),
});
