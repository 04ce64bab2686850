/**
 * Times given on the command line (`threads ls --since 2d --before 2026-11-03`): a span back from
 * now, or a date or date-time read in the terminal's time zone, which is the one its user means.
 */
import { CliError } from "./exit-codes.ts";

const spanUnits: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const spanPattern = /^(\d+(?:\.\d+)?)(m|h|d|w)$/;
const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/i;

/**
 * The time `text` names for the option `name`, or a `CliError` that lists the forms.
 *
 * - `30m`, `12h`, `2d`, `1w`: that long before `now`;
 * - `2026-11-01`: local midnight at the start of that day;
 * - `2026-11-01T09:30`: local time; with `Z` or an offset (`+01:00`) that time.
 *
 * @example
 * parseTimeOption("2d", "--since", new Date("2026-11-03T12:00:00Z")).toISOString(); // "2026-11-01T12:00:00.000Z"
 */
export function parseTimeOption(text: string, name: string, now: Date): Date {
  const span = spanPattern.exec(text);
  if (span) return new Date(now.getTime() - Number(span[1]) * spanUnits[span[2]!]!);
  const parts = datePattern.exec(text) ?? dateTimePattern.exec(text);
  if (parts) {
    const [year, month, day] = parts.slice(1, 4).map(Number) as [number, number, number];
    // A bare date is local midnight (`new Date("2026-11-01")` would be UTC); a date-time without an
    // offset is local time too, as ECMAScript reads it.
    const time = parts.length === 4 ? new Date(year, month - 1, day) : new Date(text.toUpperCase());
    const midnight = new Date(year, month - 1, day);
    // The day must exist: Date rolls 30 February over into March.
    if (!Number.isNaN(time.getTime()) && midnight.getMonth() === month - 1 && midnight.getDate() === day) return time;
  }
  throw new CliError(
    `${name} must be a span back from now (30m, 12h, 2d, 1w), a date (2026-11-01, local midnight) or a date-time (2026-11-01T09:30, 2026-11-01T09:30Z), got ${JSON.stringify(text)}.`,
  );
}
