/**
 * Token counts with gpt-tokenizer (o200k_base, the encoding of current OpenAI models). Other
 * providers tokenize differently; treat counts for them as close estimates.
 *
 * The encoding's rank table costs about 100 ms and 70 MB to load, and most processes never count
 * (a decision without a token budget does not), so it is loaded on the first count, not on import.
 */
import type { clearMergeCache as o200kClear, countTokens as o200kCount } from "gpt-tokenizer/encoding/o200k_base";
import { ConfigurationError } from "./errors.ts";
import { requireOnFirstUse } from "./lazy-require.ts";

type Count = typeof o200kCount;

/**
 * gpt-tokenizer remembers the merge of every piece it had to merge, up to 100,000 pieces; when full,
 * each new piece evicts the oldest from a Map, which slows down badly as the Map churns (a megabyte
 * of random letters: 7.7 s, with single 16 KiB slices taking over 200 ms; bench/results/long-text.md).
 * Each remembered piece is at least one token, so clearing the cache after every 90,000 tokens
 * counted keeps it below its limit: it never evicts, and ordinary text refills it in microseconds.
 */
const CLEAR_MERGE_CACHE_EVERY = 90_000;
let tokensSinceClear = 0;

/**
 * Special-token strings such as `<|endoftext|>` are counted as the plain text they are: by default
 * the tokenizer throws on them, and a person's message containing one must not break a render.
 */
const plainText = { disallowedSpecial: new Set<string>() };

let loaded: Count | undefined;
let clearMergeCache: typeof o200kClear = () => {};

/**
 * Loads the encoding (only o200k_base, not the package root) synchronously, because `countTokens`
 * is synchronous: `render().tokens` is a getter and `nextAction` a pure function.
 */
function loadCount(): Count {
  const encoding = requireOnFirstUse("gpt-tokenizer/encoding/o200k_base") as
    | { countTokens: Count; clearMergeCache: typeof o200kClear }
    | undefined;
  if (!encoding) {
    throw new ConfigurationError(
      "Counting tokens needs Node.js 22.3 or newer (it loads gpt-tokenizer with require on first use). Leave maxTokens unset where that is not available.",
    );
  }
  clearMergeCache = encoding.clearMergeCache;
  return encoding.countTokens;
}

/** One chunk's count, clearing the tokenizer's merge cache before it would start evicting. */
function countChunk(count: Count, chunk: string): number {
  const tokens = count(chunk, plainText);
  tokensSinceClear += tokens;
  if (tokensSinceClear >= CLEAR_MERGE_CACHE_EVERY) {
    tokensSinceClear = 0;
    clearMergeCache();
  }
  return tokens;
}

/**
 * The longest stretch handed to the tokenizer at once. gpt-tokenizer's byte-pair merge is quadratic
 * in the length of one piece (a run of letters, digits or spaces with nothing between): 100,000
 * unbroken characters took 1.8 s. Chunks keep a count linear in the length of the text. At 256
 * characters a megabyte of random lowercase letters (every piece new to the tokenizer's cache) still
 * took about 1 s; at 64 it takes about 0.3 s, and a megabyte of prose counts within 0.2% of the
 * uncut count (a cut can only fall inside a piece longer than half a chunk: a URL, an identifier).
 */
export const MAX_CHUNK_LENGTH = 64;

/** Chunks counted between two yields to the event loop in `countTokensInSlices`: 8 KiB, 15 ms at worst (random letters). */
const CHUNKS_PER_SLICE = 128;

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

/** The chunks `text` is counted in: at most `MAX_CHUNK_LENGTH` characters each, cut where `cutBefore` says. */
function* chunksOf(text: string): Generator<string> {
  let start = 0;
  while (text.length - start > MAX_CHUNK_LENGTH) {
    const cut = cutBefore(text, start, start + MAX_CHUNK_LENGTH);
    yield text.slice(start, cut);
    start = cut;
  }
  yield start === 0 ? text : text.slice(start);
}

/**
 * Counts `text` in chunks of at most `MAX_CHUNK_LENGTH` characters with `count`, so the work is
 * linear in the length of the text (each chunk costs at most a bounded amount). Exported for tests;
 * use `countTokens`.
 */
export function countInChunks(text: string, count: (chunk: string) => number): number {
  let total = 0;
  for (const chunk of chunksOf(text)) total += count(chunk);
  return total;
}

/**
 * Tokens in a piece of text, o200k_base. Long text is counted in chunks; where more than 32
 * characters pass without a space, a cut may fall inside what the tokenizer treats as one piece,
 * and the count may be a token off per such cut.
 *
 * @example
 * countTokens("can you divide 3 by 4"); // 8
 */
export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  const count = (loaded ??= loadCount());
  return countInChunks(text, (chunk) => countChunk(count, chunk));
}

/** Yields to the event loop: timers and I/O callbacks run before this resolves. */
const yieldToEventLoop = () => new Promise<void>((resolve) => (globalThis.setImmediate ?? globalThis.setTimeout)(resolve));

/**
 * `countTokens`, yielding to the event loop after every 8 KiB or so, so that counting a megabyte
 * (hundreds of milliseconds for text the tokenizer has not seen) never stalls a server's other
 * requests for more than a few milliseconds. The same count as `countTokens`. `onSlice` is called
 * at each yield (for tests).
 */
export async function countTokensInSlices(text: string, onSlice?: () => void): Promise<number> {
  if (text.length <= MAX_CHUNK_LENGTH * CHUNKS_PER_SLICE) return countTokens(text);
  const count = (loaded ??= loadCount());
  let total = 0;
  let inSlice = 0;
  for (const chunk of chunksOf(text)) {
    total += countChunk(count, chunk);
    if (++inSlice === CHUNKS_PER_SLICE) {
      inSlice = 0;
      onSlice?.();
      await yieldToEventLoop();
    }
  }
  return total;
}
