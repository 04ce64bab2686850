/**
 * axe-core in the browser tests: a page must have no violation of any rule axe runs by default
 * (WCAG 2.x A and AA and its best practices).
 */
import assert from "node:assert/strict";
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "playwright-core";

/**
 * Runs axe on the page as it is and fails with each violation's rule, help and elements.
 * The page must come from `browser.newContext()` (axe opens a second page in its context).
 *
 * @example
 * await assertNoAxeViolations(page, "the inbox at 375 px");
 */
export async function assertNoAxeViolations(page: Page, where: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const report = violations.map(
    (violation) =>
      `${violation.id} (${violation.help}): ${violation.nodes.map((node) => `${node.target.join(" ")} ${node.failureSummary ?? ""}`).join("; ")}`,
  );
  assert.deepEqual(report, [], `axe found violations on ${where}`);
}
