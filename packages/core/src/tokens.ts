/**
 * Token counts with gpt-tokenizer (o200k_base, the encoding of current OpenAI models). Other
 * providers tokenize differently; treat counts for them as close estimates.
 *
 * The encoding's rank table costs about 100 ms and 70 MB to load, and most processes never count
 * (a decision without a token budget does not), so it is loaded on the first count, not on import.
 */
import type { countTokens as o200kCount } from "gpt-tokenizer/encoding/o200k_base";
import { ConfigurationError } from "./errors.ts";
import { requireOnFirstUse } from "./lazy-require.ts";

type Count = typeof o200kCount;

/**
 * Special-token strings such as `<|endoftext|>` are counted as the plain text they are: by default
 * the tokenizer throws on them, and a person's message containing one must not break a render.
 */
const plainText = { disallowedSpecial: new Set<string>() };

let loaded: Count | undefined;

/**
 * Loads the encoding (only o200k_base, not the package root) synchronously, because `countTokens`
 * is synchronous: `render().tokens` is a getter and `nextAction` a pure function.
 */
function loadCount(): Count {
  const encoding = requireOnFirstUse("gpt-tokenizer/encoding/o200k_base") as { countTokens: Count } | undefined;
  if (!encoding) {
    throw new ConfigurationError(
      "Counting tokens needs Node.js 22.3 or newer (it loads gpt-tokenizer with require on first use). Leave maxTokens unset where that is not available.",
    );
  }
  return encoding.countTokens;
}

/**
 * The longest stretch handed to the tokenizer at once. gpt-tokenizer's byte-pair merge is quadratic
 * in the length of one piece (a run of letters, digits or spaces with nothing between): 100,000
 * unbroken characters took 1.8 s. Chunks of at most this many characters keep a count linear in the
 * length of the text, a few hundred being long enough that ordinary words are never cut.
 */
export const MAX_CHUNK_LENGTH = 256;

const isWhitespace = (code: number) =>
  code === 0x20 || (code >= 0x09 && code <= 0x0d) || (code > 0x7f && /\s/.test(String.fromCharCode(code)));

/**
 * Where the chunk that starts at `start` ends (the next one starts there), at most at `end`: at a
 * space that follows a non-space character when there is one in the second half of the window,
 * else at `end` itself.
 *
 * The o200k pre-tokenizer always ends a piece between a non-space character and a following space
 * (the space starts the next word's piece), so a cut there changes nothing. A cut anywhere else
 * splits a piece, which can make the count one token higher (rarely lower) than the whole text's.
 * The search looks back at most half a window, so the chunks come out at least half a window long
 * and all the scanning together is linear.
 */
function cutBefore(text: string, start: number, end: number): number {
  for (let index = end; index > start + MAX_CHUNK_LENGTH / 2; index--) {
    if (text.charCodeAt(index) === 0x20 && !isWhitespace(text.charCodeAt(index - 1))) return index;
  }
  // Never between the two halves of a surrogate pair: either half alone is not a character.
  const code = text.charCodeAt(end);
  return code >= 0xdc00 && code <= 0xdfff ? end - 1 : end;
}

/**
 * Counts `text` in chunks of at most `MAX_CHUNK_LENGTH` characters with `count`, so the work is
 * linear in the length of the text (each chunk costs at most a bounded amount). Exported for tests;
 * use `countTokens`.
 */
export function countInChunks(text: string, count: (chunk: string) => number): number {
  let total = 0;
  let start = 0;
  while (text.length - start > MAX_CHUNK_LENGTH) {
    const cut = cutBefore(text, start, start + MAX_CHUNK_LENGTH);
    total += count(text.slice(start, cut));
    start = cut;
  }
  return total + count(start === 0 ? text : text.slice(start));
}

/**
 * Tokens in a piece of text, o200k_base. Long text is counted in chunks; where more than 128
 * characters pass without a space, a cut may fall inside what the tokenizer treats as one piece,
 * and the count may be a token off per such cut.
 *
 * @example
 * countTokens("can you divide 3 by 4"); // 8
 */
export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  const count = (loaded ??= loadCount());
  return countInChunks(text, (chunk) => count(chunk, plainText));
}
