import { test } from "node:test";
import assert from "node:assert/strict";
import * as core from "agentfold";
test("loads", () => {
  assert.equal(typeof core, "object");
});
