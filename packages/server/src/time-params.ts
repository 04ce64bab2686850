/**
 * Times in query parameters (`GET /v1/threads?createdFrom=&createdBefore=`): an ISO 8601 date,
 * which is that day's midnight in UTC (a server knows no caller's time zone), or a date-time with
 * its offset. A date-time without an offset is refused rather than guessed, and so is a date that
 * is not in the calendar (`2026-02-30`, which `Date.parse` would quietly turn into 2 March).
 */
import { z } from "@hono/zod-openapi";

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** The fix a caller reads in the 400 for a time it sent wrong. */
export const timeParamHelp =
  "must be a date (2026-11-01, midnight UTC) or a date-time with its offset (2026-11-01T09:30:00Z, 2026-11-01T09:30+01:00)";

/**
 * The time `text` names, or `undefined` when it is not one of the accepted forms.
 *
 * @example
 * parseTimeParam("2026-11-01")?.toISOString(); // "2026-11-01T00:00:00.000Z"
 * parseTimeParam("2026-11-01T09:30+01:00")?.toISOString(); // "2026-11-01T08:30:00.000Z"
 * parseTimeParam("yesterday"); // undefined
 */
export function parseTimeParam(text: string): Date | undefined {
  const parts = datePattern.exec(text) ?? dateTimePattern.exec(text);
  if (!parts) return undefined;
  const [year, month, day] = parts.slice(1, 4).map(Number) as [number, number, number];
  // The day must exist in its month: Date.UTC rolls 30 February over into March.
  const midnight = new Date(Date.UTC(year, month - 1, day));
  if (midnight.getUTCMonth() !== month - 1 || midnight.getUTCDate() !== day) return undefined;
  const time = Date.parse(text.toUpperCase());
  return Number.isNaN(time) ? undefined : new Date(time);
}

/** A query parameter holding a time; the route reads it with `parseTimeParam`. */
export function timeParam(description: string) {
  return z
    .preprocess(
      // `?createdFrom=` (empty, as a form sends an unset date) filters nothing.
      (value) => (value === "" ? undefined : value),
      z
        .string()
        .max(40)
        .refine((text) => parseTimeParam(text) !== undefined, timeParamHelp)
        .optional(),
    )
    .openapi({ type: "string", maxLength: 40, description, example: "2026-11-01" });
}
