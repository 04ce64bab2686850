/**
 * The model's reply as it streams, shown in the terminal in place of the spinner: text as it is
 * written, a tool call as its name and then its arguments piece by piece. A preview only: the timeline
 * line printed after the call is the stored decision. A retry starts a new line that says so.
 */
import type { ModelDelta } from "agentfold";
import type { OutputStream } from "./output.ts";
// Not imported: see output.ts.
const { styleText } = process.getBuiltinModule("node:util");

export interface StreamPreview {
  /** Shows one piece. */
  write(delta: ModelDelta): void;
  /** Ends the preview's line, so other output starts on a line of its own; the next piece goes on below. */
  breakLine(): void;
}

/**
 * @example
 * const preview = startStreamPreview(process.stdout, true);
 * request.onDelta = (delta) => preview.write(delta);
 * // after the call: preview.breakLine();
 */
export function startStreamPreview(stream: OutputStream, colors: boolean): StreamPreview {
  const paint = (text: string) => (colors ? styleText("dim", text, { validateStream: false }) : text);
  let attempt = 0;
  let call = -1;
  let openLine = false;
  const put = (text: string) => {
    if (text === "") return;
    stream.write(paint(text));
    openLine = !text.endsWith("\n");
  };
  const newLine = () => {
    if (openLine) stream.write("\n");
    openLine = false;
  };
  return {
    write(delta) {
      if (delta.attempt !== attempt) {
        if (attempt !== 0) {
          newLine();
          put(`(attempt ${delta.attempt}) `);
        }
        attempt = delta.attempt;
        call = -1;
      }
      if (delta.type === "text") return put(delta.text);
      if (delta.index !== call) {
        newLine();
        call = delta.index;
        put(`${delta.toolName} `);
      }
      put(delta.argsText);
    },
    breakLine: newLine,
  };
}
