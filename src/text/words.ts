/**
 * Words as a person counts them: runs of non-whitespace. The local path has no model
 * tokenizer, so this one count stands in for tokens in `usage`, reads `max_tokens` as a
 * word budget, and sizes chunks at ingestion; all three must agree on what a word is.
 */
export function countWords(text: string): number {
  let count = 0;
  for (const piece of text.split(/\s+/)) if (piece !== '') count++;
  return count;
}
