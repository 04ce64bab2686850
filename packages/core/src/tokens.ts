/**
 * Token counts with gpt-tokenizer (o200k_base, the encoding of current OpenAI models). Other
 * providers tokenize differently; treat counts for them as close estimates.
 */
import { countTokens as count } from "gpt-tokenizer";

/** Tokens in a piece of text. */
export function countTokens(text: string): number {
  return text.length === 0 ? 0 : count(text);
}
