/** Polling helpers for tests that watch a real server or browser. */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `check` until it returns something other than `undefined` or `false`, or throws after the timeout.
 *
 * @example
 * const done = await waitFor("the thread to finish", async () => (await fixture.thread(id)).status === "done");
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await sleep(50);
  }
}
