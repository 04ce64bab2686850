/**
 * A small line diff (longest common subsequence) for snapshot failures: prompts are short, so the
 * quadratic table is fine, and the output reads like `diff -u` without headers.
 */

/**
 * Lines of `expected` missing from `actual` start with "-", new lines with "+", and unchanged lines
 * near a change with " ". Far-away unchanged lines are folded into "…".
 *
 * @example
 * lineDiff("a\nb\nc", "a\nB\nc"); // " a\n-b\n+B\n c"
 */
export function lineDiff(expected: string, actual: string, context = 2): string {
  const before = expected.split("\n");
  const after = actual.split("\n");
  const rows = before.length + 1;
  const columns = after.length + 1;
  const table = new Uint32Array(rows * columns);
  for (let i = before.length - 1; i >= 0; i -= 1) {
    for (let j = after.length - 1; j >= 0; j -= 1) {
      table[i * columns + j] =
        before[i] === after[j]
          ? table[(i + 1) * columns + j + 1]! + 1
          : Math.max(table[(i + 1) * columns + j]!, table[i * columns + j + 1]!);
    }
  }
  const lines: Array<{ mark: " " | "-" | "+"; text: string }> = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    if (i < before.length && j < after.length && before[i] === after[j]) {
      lines.push({ mark: " ", text: before[i]! });
      i += 1;
      j += 1;
    } else if (i < before.length && (j === after.length || table[(i + 1) * columns + j]! >= table[i * columns + j + 1]!)) {
      // Removed lines come before the lines that replace them, as in `diff -u`.
      lines.push({ mark: "-", text: before[i]! });
      i += 1;
    } else {
      lines.push({ mark: "+", text: after[j]! });
      j += 1;
    }
  }
  const near = lines.map((_line, index) =>
    lines.slice(Math.max(0, index - context), index + context + 1).some((other) => other.mark !== " "),
  );
  const output: string[] = [];
  for (const [index, line] of lines.entries()) {
    if (near[index]) output.push(`${line.mark}${line.text}`);
    else if (output.at(-1) !== "…") output.push("…");
  }
  return output.join("\n");
}
