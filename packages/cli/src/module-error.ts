/**
 * Where a module failed to parse. Node puts the place of a syntax error (and of TypeScript it cannot
 * strip) at the top of the error's stack, before the message, in one of two shapes:
 *
 *     /app/broken.ts:3                      /app/colors.ts:1
 *     const x = 1;                            > export enum Color {
 *     const y = (x + ;                            Red,
 *                    ^                        > }
 *     export default y;
 *                                           SyntaxError [ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX]: …
 *     SyntaxError [ERR_INVALID_TYPESCRIPT_SYNTAX]: Expression expected
 *
 * On the left the line right above the carets is the offending one and the first caret is the
 * column; on the right the span's lines are marked `>`, and the first of them is the header's line.
 * An ES module's JavaScript syntax error carries no place at all: `node --check` on the file prints
 * it in the left shape.
 */
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

/** A parse error's place: the file, its line and column (1-based), and the line's text. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number | undefined;
  text: string | undefined;
}

/** Reads the place from text that starts with it (a decorated stack, or `node --check`'s output). */
function placeIn(report: string): SourceLocation | undefined {
  const [header = "", ...rest] = report.split("\n");
  const place = /^(.+):(\d+)$/.exec(header);
  if (!place) return undefined;
  const file = place[1]!.startsWith("file://") ? fileURLToPath(place[1]!) : place[1]!;
  const line = Number(place[2]);
  // The excerpt ends at the blank line before the message.
  const excerpt = rest.slice(0, Math.max(0, rest.indexOf("")));
  const marked = excerpt.find((text) => text.startsWith("  > "));
  if (marked !== undefined) return { file, line, column: undefined, text: marked.slice(4) };
  const caretAt = excerpt.findIndex((text) => /^\s*\^+\s*$/.test(text));
  if (caretAt < 1) return { file, line, column: undefined, text: excerpt[0] };
  return { file, line, column: excerpt[caretAt]!.indexOf("^") + 1, text: excerpt[caretAt - 1] };
}

/**
 * The place a syntax error points at, or `undefined` for other errors and when Node gives none.
 * `modulePath` is the file that was imported: for a JavaScript module whose error carries no place,
 * `node --check` (run only then) finds it when the error is in that file itself.
 *
 * @example
 * syntaxErrorLocation(error, "/app/broken.ts"); // { file: "/app/broken.ts", line: 3, column: 16, text: "const y = (x + ;" }
 */
export function syntaxErrorLocation(error: unknown, modulePath: string): SourceLocation | undefined {
  if (!(error instanceof SyntaxError)) return undefined;
  const found = typeof error.stack === "string" ? placeIn(error.stack) : undefined;
  if (found || !/\.[cm]?js$/.test(modulePath)) return found;
  const { spawnSync } = process.getBuiltinModule("node:child_process");
  const check = spawnSync(process.execPath, ["--check", modulePath], { encoding: "utf8", timeout: 10_000 });
  return check.status === 0 ? undefined : placeIn(check.stderr ?? "");
}

/**
 * `file:line:column` relative to `cwd`, and the offending line with a caret under the column.
 *
 * @example
 * describeLocation(location, "/app"); // { place: "broken.ts:3:16", excerpt: "\n  3 | const y = (x + ;\n    |                ^" }
 */
export function describeLocation(location: SourceLocation, cwd: string): { place: string; excerpt: string } {
  const shown = relative(cwd, location.file) || location.file;
  const place = `${shown}:${location.line}${location.column === undefined ? "" : `:${location.column}`}`;
  if (location.text === undefined) return { place, excerpt: "" };
  const gutter = String(location.line);
  const caret = location.column === undefined ? "" : `\n  ${" ".repeat(gutter.length)} | ${" ".repeat(location.column - 1)}^`;
  return { place, excerpt: `\n  ${gutter} | ${location.text}${caret}` };
}
