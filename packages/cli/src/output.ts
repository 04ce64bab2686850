/**
 * Terminal output: colours that respect `NO_COLOR`, `FORCE_COLOR` and non-TTY streams, and the
 * `--json` switch that turns every result into one JSON document on stdout.
 */
// Through getBuiltinModule, not `import`: importing node:util as a module builds its namespace, which
// loads everything util exposes lazily (parseArgs, diff, …), about a millisecond of every command.
const { styleText } = process.getBuiltinModule("node:util");

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

/** A stream a command writes to: `process.stdout`, or anything with `write` (tests capture text). */
export interface OutputStream {
  write(text: string): unknown;
  /** A terminal: colours, the spinner and prompts are allowed. */
  isTTY?: boolean;
  columns?: number;
  /** A terminal's colour support (`tty.WriteStream.hasColors`), given the variables in effect. */
  hasColors?(env?: object): boolean;
}

/** The stream prompts read from; only whether it is a terminal matters here. */
export interface InputStream {
  isTTY?: boolean;
}

/**
 * Whether text for `stream` gets colours, decided as Node's `styleText` decides but from the
 * variables of the command (which tests give) instead of the process's: `FORCE_COLOR` (empty, 1, 2,
 * 3 or true) turns them on anywhere; else only a terminal gets them, unless `NO_COLOR`,
 * `NODE_DISABLE_COLORS` or `TERM=dumb`.
 */
export function colorsFor(stream: OutputStream, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return ["", "1", "2", "3", "true"].includes(force);
  if (!stream.isTTY) return false;
  if (stream.hasColors) return stream.hasColors(env);
  return env.NO_COLOR === undefined && env.NODE_DISABLE_COLORS === undefined && env.TERM !== "dumb";
}

/**
 * The output of one command run.
 *
 * @example
 * const out = createOutput({ json: false });
 * out.line(out.paint("green", "done"));
 */
export function createOutput(options: {
  json: boolean;
  stdout?: OutputStream;
  stderr?: OutputStream;
  stdin?: InputStream;
  env?: NodeJS.ProcessEnv;
}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const stdin = options.stdin ?? process.stdin;
  const json = options.json;
  const colors = !json && colorsFor(stdout, options.env ?? process.env);
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
      // The decision is colorsFor's, made from the command's variables: styleText would read the process's.
      return colors ? styleText(style, text, { validateStream: false }) : text;
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
