/**
 * The one tokenizer of the local retrieval path: BM25 (MiniSearch) and the hashed
 * embedder both use it, so a query term and a document term always agree.
 *
 * Identifiers are common in technical documentation and in the questions people ask
 * about it (`sessionId`, `RAG_DATA_DIR`, `x-request-id`), so a compound word yields its
 * joined form *and* its parts: `sessionId` → `sessionid`, `session`, `id`. Someone who
 * types "session id" and someone who types "sessionId" then meet the same postings.
 */

/** Splits on anything that cannot be part of a word or an identifier. */
const WORD_SEPARATOR = /[^\p{L}\p{N}_-]+/u;
/**
 * Splits an identifier into its parts: snake_case, kebab-case, camelCase, PascalCase,
 * HTTPServer. Digits stay with the letters before them (`http2`, `S3Bucket` → `s3`,
 * `bucket`): splitting `base64` into `base` and `64` adds noise, not recall.
 */
const IDENTIFIER_PART =
  /\p{Lu}+\p{N}*(?![\p{Ll}\p{M}])|\p{Lu}?[\p{Ll}\p{M}]+\p{N}*|\p{N}+|[\p{Lo}\p{Lt}\p{Lm}]+/gu;

/**
 * Compact English stopword list. Kept short on purpose: words such as `not`, `no`,
 * `new`, `first` or `only` carry meaning in questions about software behaviour.
 */
const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be been being but by can could did do does doing for from had has have having he her ' +
    'here hers him his how i if in into is it its itself me my of on or our ours she should so than that the ' +
    'their theirs them then there these they this those to too us was we were what when where which while who ' +
    'whom why will with would you your yours'
  ).split(' '),
);

/**
 * Turns text into index terms: lowercased words, compound identifiers with their
 * parts, stopwords and one-character terms dropped, then lightly stemmed.
 */
export function tokenize(text: string): string[] {
  const terms: string[] = [];
  for (const word of wordsAsWritten(text)) {
    const parts = word.match(IDENTIFIER_PART) ?? [];
    if (parts.length > 1) {
      pushTerm(terms, parts.join(''));
      for (const part of parts) pushTerm(terms, part);
    } else if (parts.length === 1) {
      pushTerm(terms, parts[0] as string);
    }
  }
  return terms;
}

/**
 * The words of a text as the tokenizer sees them, before lowercasing or splitting
 * identifiers: `Set RAG_DATA_DIR, then restart.` → `Set`, `RAG_DATA_DIR`, `then`, `restart`.
 */
export function wordsAsWritten(text: string): string[] {
  return text.split(WORD_SEPARATOR).filter((word) => word !== '');
}

function pushTerm(terms: string[], raw: string): void {
  const term = raw.toLowerCase();
  if (term.length < 2 || STOPWORDS.has(term)) return;
  terms.push(stem(term));
}

/**
 * A light plural stemmer in the spirit of Harman's S-stemmer: `sessions` → `session`,
 * `ids` → `id`, `queries` → `query`, `indexes` → `index`, while `status`, `address` and
 * `analysis` stay intact. Query and document terms go through the same function, so an
 * odd stem (`aws` → `aw`) costs nothing as long as it is consistent. Heavier stemmers
 * conflate technical terms (`config`/`configure`) that people tell apart.
 */
export function stem(term: string): string {
  if (term.length < 3) return term;
  if (term.length > 4 && term.endsWith('ies') && !term.endsWith('eies') && !term.endsWith('aies'))
    return `${term.slice(0, -3)}y`;
  if (term.endsWith('es') && /(?:ss|x|ch|sh)es$/.test(term)) return term.slice(0, -2);
  if (term.endsWith('s') && !/(?:ss|us|is)$/.test(term)) return term.slice(0, -1);
  return term;
}
