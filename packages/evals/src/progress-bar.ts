/**
 * A one-line progress bar for eval runs, drawn only on a terminal: in CI logs and pipes it would be
 * noise, so `progressBar` returns a no-op there.
 */
import type { EvalProgress } from "./run-evals.ts";

export interface ProgressBar {
  update(progress: EvalProgress): void;
  /** Erases the bar. */
  stop(): void;
}

/**
 * A progress bar on `stream` when it is a terminal, else one that draws nothing.
 *
 * @example
 * const bar = progressBar(process.stderr);
 * await runEvals(suites, { model, onProgress: (progress) => bar.update(progress) });
 * bar.stop();
 */
export function progressBar(stream: { write(text: string): unknown; isTTY?: boolean; columns?: number }): ProgressBar {
  if (!stream.isTTY) return { update() {}, stop() {} };
  let lastDraw = 0;
  let drawn = false;
  const draw = (progress: EvalProgress) => {
    const columns = stream.columns && stream.columns > 20 ? stream.columns - 1 : 79;
    const width = Math.max(10, Math.min(30, columns - 50));
    const filled = progress.total === 0 ? width : Math.round((progress.done / progress.total) * width);
    const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
    const failed = progress.failed > 0 ? ` · ${progress.failed} failed` : "";
    const text = `${bar} ${progress.done}/${progress.total} runs${failed} · ${progress.last}`;
    stream.write(`\r\x1b[2K${text.slice(0, columns)}`);
    drawn = true;
  };
  return {
    update(progress) {
      const now = Date.now();
      // Redraw at most every 50 ms, but always show the last run.
      if (now - lastDraw < 50 && progress.done < progress.total) return;
      lastDraw = now;
      draw(progress);
    },
    stop() {
      if (drawn) stream.write("\r\x1b[2K");
      drawn = false;
    },
  };
}
