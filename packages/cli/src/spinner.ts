/**
 * A one-line spinner for the time a model call takes. It only writes to the terminal and never
 * reads from it, so Ctrl-C stays an ordinary SIGINT that the run loop turns into a clean stop.
 */
import { colorsFor, type OutputStream } from "./output.ts";
// Not imported: see output.ts.
const { styleText } = process.getBuiltinModule("node:util");

const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export interface Spinner {
  /** Shows `message` from the next frame on (e.g. a retry being waited out). */
  update(message: string): void;
  /** Erases the line now, so a line can be printed; the next frame draws it again below. */
  clear(): void;
  stop(): void;
}

/**
 * Starts a spinner on `stream` (a terminal), magenta when `colors`. `stop()` erases its line.
 *
 * @example
 * const spinner = startSpinner(process.stdout, "openai:gpt-4o-mini is thinking");
 * try { await model.generate(request); } finally { spinner.stop(); }
 */
export function startSpinner(stream: OutputStream, first: string, colors = colorsFor(stream, process.env)): Spinner {
  const started = Date.now();
  let message = first;
  let frame = 0;
  const draw = () => {
    const seconds = Math.floor((Date.now() - started) / 1000);
    const text = `${frames[frame % frames.length]} ${message}${seconds > 0 ? ` ${seconds}s` : ""}`;
    const width = stream.columns && stream.columns > 10 ? stream.columns - 1 : 79;
    const line = text.slice(0, width);
    stream.write(`\r\x1b[2K${colors ? styleText("magenta", line, { validateStream: false }) : line}`);
    frame += 1;
  };
  stream.write("\x1b[?25l");
  draw();
  const timer = setInterval(draw, 80);
  let stopped = false;
  return {
    update(next) {
      message = next;
      if (!stopped) draw();
    },
    clear() {
      if (!stopped) stream.write("\r\x1b[2K");
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write("\r\x1b[2K\x1b[?25h");
    },
  };
}
