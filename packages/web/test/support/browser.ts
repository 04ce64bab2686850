/**
 * Debian's Chromium driven by playwright-core. Nothing is downloaded: the browser is the system one
 * (`apt-get install -y chromium`), and a missing one is a clear error, not a silent skip.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const chromiumPath = process.env.AGENTFOLD_CHROMIUM ?? "/usr/bin/chromium";

/** Launches headless Chromium with a fresh profile (playwright-core makes a temporary one per launch). */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium is not at ${chromiumPath}. Install it with "apt-get update && apt-get install -y chromium", or set AGENTFOLD_CHROMIUM to its path.`,
    );
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      // Without these Chromium reaches out to Google services at start, which fails offline.
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
