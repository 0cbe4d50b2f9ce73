import { tokenize, wordsAsWritten } from '../tokenizer.js';

/**
 * The terms the extractive generator matches a question with: the shared tokenizer's terms
 * without the words that frame a question, stemmed more loosely than retrieval stems them.
 */

// The shared tokenizer drops only grammatical stopwords, as BM25 wants. Overlap scoring also
// drops the words people use to frame a question ("tell me more", "explain"), which say nothing
// about what they ask for and would otherwise match any sentence that happens to use them.
const FRAMING_TERMS: ReadonlySet<string> = new Set(
  (
    'about above after again against all also am any because before below between both down during each ' +
    'else etc few further get gets got just let more most no nor not now off once only other out over own ' +
    'same some such through under until up very tell explain describe show give know want need please ' +
    'possible help anything something thing things way ways'
  )
    .split(' ')
    .flatMap(tokenize),
);

/** Index terms of a text (shared tokenizer) that carry content. */
function contentTerms(text: string): string[] {
  return tokenize(text).filter((t) => !FRAMING_TERMS.has(t));
}

/** The words of a text as written, keeping only those with content, for a rewritten question. */
export function contentWords(text: string): string[] {
  return wordsAsWritten(text).filter((word) => contentTerms(word).length > 0);
}

// Longest suffix first; `ss` words are left alone so "process" and "processes" meet at "process".
const SUFFIXES: ReadonlyArray<readonly [string, string]> = [
  ['sses', 'ss'],
  ['ations', ''],
  ['ation', ''],
  ['ments', ''],
  ['ment', ''],
  ['ions', ''],
  ['ion', ''],
  ['ings', ''],
  ['ing', ''],
  ['ated', ''],
  ['ates', ''],
  ['ate', ''],
  ['ies', 'y'],
  ['ied', 'y'],
  ['ed', ''],
  ['es', ''],
  ['s', ''],
  ['e', ''],
];

/**
 * A suffix stripper on top of the tokenizer's plural stemming, so that "configure", "configured"
 * and "configuration" count as one term when choosing sentences. Retrieval keeps the lighter
 * stemmer; here a loose match costs little, because only sentences of already retrieved passages
 * compete. Only compared with itself, so its stems need not be words.
 */
function stem(word: string): string {
  if (word.length <= 3 || /^\d/.test(word) || (word.endsWith('ss') && !word.endsWith('sses'))) return word;
  for (const [suffix, replacement] of SUFFIXES) {
    if (word.endsWith(suffix) && word.length - suffix.length + replacement.length >= 3) {
      return word.slice(0, word.length - suffix.length) + replacement;
    }
  }
  return word;
}

/** The distinct content terms of a text, loosely stemmed: what overlap scoring compares. */
export function terms(text: string): Set<string> {
  return new Set(contentTerms(text).map(stem));
}
