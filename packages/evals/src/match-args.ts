/**
 * Matching a call's arguments against a pattern: deep partial for objects (keys not in the pattern
 * are ignored), element by element for arrays, numbers within a tolerance, strings by `RegExp`, and
 * any value by a function. Every mismatch is reported with its path, so a failed case says exactly
 * which argument was wrong.
 */

/** A matcher made by `approximately` (or your own: anything with `matches` and `describe`). */
export interface ValueMatcher {
  readonly matches: (value: unknown) => boolean;
  readonly describe: string;
}

/** What may stand for an argument value in a pattern. */
export type ArgsPattern =
  | string
  | number
  | boolean
  | null
  | RegExp
  | ValueMatcher
  | ((value: unknown) => boolean)
  | readonly ArgsPattern[]
  | { readonly [key: string]: ArgsPattern };

/**
 * A number within `tolerance` of `expected` (absolute).
 *
 * @example
 * expect: { intent: "divide", args: { a: approximately(0.333, 0.001) } }
 */
export function approximately(expected: number, tolerance: number): ValueMatcher {
  if (!Number.isFinite(expected) || !(tolerance >= 0))
    throw new TypeError(`approximately(${expected}, ${tolerance}): give a finite number and a tolerance >= 0.`);
  return {
    matches: (value) => typeof value === "number" && Math.abs(value - expected) <= tolerance,
    describe: `${expected} ± ${tolerance}`,
  };
}

/**
 * Any one of several patterns.
 *
 * @example
 * args: { a: oneOf(3, "3") }
 */
export function oneOf(...patterns: readonly ArgsPattern[]): ValueMatcher {
  return {
    matches: (value) => patterns.some((pattern) => matchArgs(value, pattern).length === 0),
    describe: `one of ${patterns.map(describePattern).join(", ")}`,
  };
}

function isMatcher(pattern: unknown): pattern is ValueMatcher {
  return (
    pattern !== null &&
    typeof pattern === "object" &&
    typeof (pattern as ValueMatcher).matches === "function" &&
    typeof (pattern as ValueMatcher).describe === "string"
  );
}

/** A pattern as text for a failure message. */
export function describePattern(pattern: ArgsPattern): string {
  if (pattern instanceof RegExp) return String(pattern);
  if (isMatcher(pattern)) return pattern.describe;
  if (typeof pattern === "function") return pattern.name ? `a value passing ${pattern.name}` : "a value passing the check";
  return JSON.stringify(pattern, (_key, value: unknown) =>
    value instanceof RegExp ? String(value) : isMatcher(value) ? value.describe : value,
  );
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/**
 * Compares `value` with `pattern` and returns what does not match (empty when it matches).
 *
 * @example
 * matchArgs({ a: 3, b: 4.0000001 }, { a: 3, b: 4 }, { tolerance: 1e-6 }); // []
 * matchArgs({ message: "it is 17" }, { message: /18/ });                // ['message: expected a string matching /18/, got "it is 17"']
 */
export function matchArgs(value: unknown, pattern: ArgsPattern, options: { tolerance?: number } = {}, path = ""): string[] {
  const tolerance = options.tolerance ?? 1e-9;
  const at = path === "" ? "" : `${path}: `;
  if (pattern instanceof RegExp) {
    // `search` ignores `lastIndex`, so a /g or /y pattern shared by every run gives the same answer each time.
    if (typeof value === "string" && value.search(pattern) !== -1) return [];
    return [`${at}expected a string matching ${pattern}, got ${show(value)}`];
  }
  if (isMatcher(pattern)) return pattern.matches(value) ? [] : [`${at}expected ${pattern.describe}, got ${show(value)}`];
  if (typeof pattern === "function") {
    let passed: boolean;
    try {
      passed = pattern(value);
    } catch (error) {
      return [`${at}${describePattern(pattern)} threw: ${(error as Error).message}`];
    }
    return passed ? [] : [`${at}expected ${describePattern(pattern)}, got ${show(value)}`];
  }
  if (typeof pattern === "number") {
    if (typeof value === "number" && Math.abs(value - pattern) <= tolerance) return [];
    return [`${at}expected ${pattern}${tolerance > 1e-9 ? ` ± ${tolerance}` : ""}, got ${show(value)}`];
  }
  if (pattern === null || typeof pattern !== "object") {
    return Object.is(value, pattern) ? [] : [`${at}expected ${show(pattern)}, got ${show(value)}`];
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(value)) return [`${at}expected an array, got ${show(value)}`];
    if (value.length !== pattern.length) return [`${at}expected ${pattern.length} items, got ${value.length}: ${show(value)}`];
    return pattern.flatMap((item: ArgsPattern, index: number) => matchArgs(value[index], item, options, `${path}[${index}]`));
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [`${at}expected an object, got ${show(value)}`];
  const record = value as Record<string, unknown>;
  return Object.entries(pattern as Record<string, ArgsPattern>).flatMap(([key, item]) => {
    const inner = path === "" ? key : `${path}.${key}`;
    if (!Object.hasOwn(record, key)) return [`${inner}: missing (expected ${describePattern(item)})`];
    return matchArgs(record[key], item, options, inner);
  });
}
