/**
 * The next steps the CLI prints, read back from its output: the lines under "Next:" (init) and
 * "continue with:" (run, approve, reject, …), and the "try:" command of serve's banner.
 */

/**
 * The commands `output` tells the person to run next, in order.
 *
 * @example
 * nextCommands("continue with:\n  npx agentfold approve thr_1 call_1_0\n"); // ["npx agentfold approve thr_1 call_1_0"]
 */
export function nextCommands(output: string): string[] {
  const commands: string[] = [];
  let inList = false;
  for (const line of output.split("\n")) {
    if (/^(Next|continue with):$/.test(line.trim())) {
      inList = true;
      continue;
    }
    if (inList && line.startsWith("  ") && line.trim() !== "") {
      commands.push(line.trim());
      continue;
    }
    inList = false;
    // serve: "  try: curl -s http://127.0.0.1:3000/healthz   ·   OpenAPI: …"
    const tried = /\btry: (.+?)(?:\s+·|$)/.exec(line);
    if (tried?.[1]) commands.push(tried[1].trim());
  }
  return commands;
}

/**
 * A command with its thread ids left out: the same printed step on two threads is one kind of
 * command, so running it on one of them shows the kind runs.
 */
function kind(command: string): string {
  return command.replace(/\bthr_\w+/g, "<thread>");
}

/** Every command printed so far, and which kinds of them were run. */
export class PrintedCommands {
  readonly #printed = new Set<string>();
  readonly #ran = new Set<string>();

  /** Remembers the next commands in `output` and returns them. */
  add(output: string): string[] {
    const commands = nextCommands(output);
    for (const command of commands) this.#printed.add(kind(command));
    return commands;
  }

  /** Marks a printed command as run. */
  ran(command: string): void {
    this.#ran.add(kind(command));
  }

  /** The kinds of printed commands that never ran. */
  notRun(): string[] {
    return [...this.#printed].filter((command) => !this.#ran.has(command));
  }
}
