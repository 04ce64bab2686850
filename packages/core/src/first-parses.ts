/**
 * A process's first zod parses run interpreted; later ones use zod's compiled parsers.
 *
 * zod compiles a parser (with `new Function`) for every object schema the first time that schema
 * parses, and then runs it on every later parse. Compiling costs about as much as a few hundred
 * interpreted parses, so it pays in a server or a long run, but a short command — `agentfold
 * approve` loads one thread and appends a handful of events — parses each schema once or twice and
 * paid several milliseconds of compiling for nothing (see docs/decisions/2026-11-30-cold-start.md).
 * The first `INTERPRETED_PARSES` parses of the process pass zod's `jitless` option; after them zod
 * compiles each schema on its next parse, as before. The result is the same either way: `jitless`
 * picks how zod checks, never what it accepts.
 */
import type { z } from "zod";

/**
 * How many parses run interpreted, process-wide, before zod may compile. An interpreted parse of an
 * event costs about 2 µs more than a compiled one, so the most it can cost is about 0.1 ms.
 */
export const INTERPRETED_PARSES = 48;

const interpreted = { jitless: true } as const;
let remaining = INTERPRETED_PARSES;

/**
 * `schema.safeParse(value)`, interpreted while the process is young (see above).
 *
 * @example
 * const checked = safeParse(eventSchemas().eventSchema, raw);
 * if (!checked.success) throw new ThreadFormatError(formatIssues(checked.error.issues));
 */
export function safeParse<Schema extends z.ZodType>(schema: Schema, value: unknown): z.ZodSafeParseResult<z.output<Schema>> {
  if (remaining > 0) {
    remaining--;
    return schema.safeParse(value, interpreted);
  }
  return schema.safeParse(value);
}

/**
 * `schema.parse(value)` (throws zod's error), interpreted while the process is young.
 *
 * @example
 * const args = parse(tool.args, call.runArgs);
 */
export function parse<Schema extends z.ZodType>(schema: Schema, value: unknown): z.output<Schema> {
  if (remaining > 0) {
    remaining--;
    return schema.parse(value, interpreted);
  }
  return schema.parse(value);
}

/** How many interpreted parses are left (for tests). */
export function interpretedParsesLeft(): number {
  return remaining;
}
