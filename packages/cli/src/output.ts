/**
 * Terminal output: colours that respect `NO_COLOR`, `FORCE_COLOR` and non-TTY streams, and the
 * `--json` switch that turns every result into one JSON document on stdout.
 */
import { styleText } from "node:util";

type Style = Parameters<typeof styleText>[0];

/** Where a command writes, and how. */
export interface Output {
  /** `--json`: print one JSON document, no colours, no prompts, no spinner. */
  readonly json: boolean;
  /** Both stdin and stdout are terminals and `--json` is off: prompts and the spinner are allowed. */
  readonly interactive: boolean;
  /** A line on stdout. */
  line(text?: string): void;
  /** A line on stderr. */
  warn(text: string): void;
  /** The JSON document of `--json` mode. */
  data(value: unknown): void;
  /** Colours text for stdout, or leaves it plain when colours are off. */
  paint(style: Style, text: string): string;
}

/**
 * The output of one command run.
 *
 * @example
 * const out = createOutput({ json: false });
 * out.line(out.paint("green", "done"));
 */
export function createOutput(options: { json: boolean; stdout?: NodeJS.WriteStream; stderr?: NodeJS.WriteStream; stdin?: NodeJS.ReadStream }): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const stdin = options.stdin ?? process.stdin;
  const json = options.json;
  return {
    json,
    interactive: !json && Boolean(stdin.isTTY) && Boolean(stdout.isTTY),
    line(text = "") {
      stdout.write(`${text}\n`);
    },
    warn(text) {
      stderr.write(`${text}\n`);
    },
    data(value) {
      stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    paint(style, text) {
      // styleText checks NO_COLOR, FORCE_COLOR and whether the stream is a terminal.
      return json ? text : styleText(style, text, { stream: stdout });
    },
  };
}

/** Quotes an argument for a shell command line the user can copy. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./#-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Shortens text to one line of at most `max` characters. */
export function oneLine(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
