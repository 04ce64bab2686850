/**
 * "Did you mean" for model specs: the spec a person most likely meant when theirs names no known
 * provider — a bare model name (`gpt-4o` → `openai:gpt-4o`, `claude-sonnet-4-5` → `anthropic:…`,
 * `llama3.2:1b` → `ollama:llama3.2:1b`), a slash for the colon (`openai/gpt-4o`), a misspelt or
 * capitalised provider (`opneai:gpt-4o`, `OpenAI:gpt-4o`), a GGUF file, a script file.
 *
 * The one place these guesses live: `resolveModel` puts the suggestion in its error, which every
 * edge (the CLI's `--model`, `AGENTFOLD_MODEL`, a server's spec) shows as it is.
 */

/** Model-name families and the provider that serves them, tried in order on a bare name. */
const families: ReadonlyArray<readonly [pattern: RegExp, prefix: string]> = [
  [/^(gpt-|chatgpt-|o\d+(-|$)|text-embedding-|davinci|babbage)/i, "openai"],
  [/^claude/i, "anthropic"],
  [/^gemini/i, "google"],
  [/^(llama|qwen|mistral|mixtral|phi\d|gemma|deepseek|codellama|smollm|granite|olmo)/i, "ollama"],
];

/** Levenshtein distance, small strings only. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known prefix `word` is a near miss of (case, or up to two edits), if any. */
function nearPrefix(word: string, prefixes: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: { prefix: string; edits: number } | undefined;
  for (const prefix of prefixes) {
    const edits = distance(lower, prefix);
    if (edits <= Math.min(2, prefix.length - 2) && (!best || edits < best.edits)) best = { prefix, edits };
  }
  return best?.prefix;
}

/**
 * The spec `spec` most likely meant, or `undefined` when there is no good guess. `prefixes` are the
 * valid providers (`openai`, `anthropic`, …).
 *
 * @example
 * suggestSpec("gpt-4o", specPrefixes);           // "openai:gpt-4o"
 * suggestSpec("claude-haiku-4-5", specPrefixes); // "anthropic:claude-haiku-4-5"
 * suggestSpec("opneai:gpt-4o", specPrefixes);    // "openai:gpt-4o"
 */
export function suggestSpec(spec: string, prefixes: readonly string[]): string | undefined {
  const text = spec.trim();
  if (text === "") return undefined;
  if (/^https?:\/\//i.test(text)) return `openai-compatible:${text.replace(/#.*$/, "")}#<model>`;
  const separator = /^([A-Za-z][\w-]*)[:/](.+)$/.exec(text);
  if (separator) {
    const provider = nearPrefix(separator[1]!, prefixes);
    if (provider) return `${provider}:${separator[2]}`;
  }
  if (/\.gguf$/i.test(text)) return `local:${text}`;
  if (/\.json$/i.test(text)) return `script:${text}`;
  for (const [pattern, prefix] of families) if (pattern.test(text)) return `${prefix}:${text}`;
  return undefined;
}
