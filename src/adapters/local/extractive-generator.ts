import type {
  CondenseOptions,
  CondenseResult,
  GenerateChunk,
  GenerateOptions,
  GenerateResult,
  Generator,
} from '../../core/ports/generator.js';
import type { RetrievedChunk, Turn } from '../../core/ports/types.js';
import { tokenize } from './tokenizer.js';

/**
 * A generator that needs no model: it answers with the passage sentences that best cover the
 * question and cites the passages they came from. It never writes text of its own beyond the
 * "not found" answer, so it cannot invent facts. Deterministic: `temperature` is ignored.
 *
 * Token counts in `usage` are approximated by whitespace-separated words, since there is no
 * model tokenizer locally; `params.maxTokens` is likewise read as a word budget.
 */
export class ExtractiveGenerator implements Generator {
  async generate(options: GenerateOptions): Promise<GenerateResult> {
    const { sentences, ...result } = compose(options);
    return { ...result, text: sentences.join(' ') };
  }

  /** Streams the answer sentence by sentence, as a model would stream tokens. */
  async *stream(options: GenerateOptions): AsyncGenerator<GenerateChunk> {
    const { sentences, citations, usage } = compose(options);
    for (const [i, sentence] of sentences.entries()) {
      options.abortSignal?.throwIfAborted();
      yield { type: 'text', text: i === 0 ? sentence : ` ${sentence}` };
    }
    yield { type: 'finish', citations, usage };
  }

  async condense(options: CondenseOptions): Promise<CondenseResult> {
    options.abortSignal?.throwIfAborted();
    const { question, history } = options;
    if (history.length === 0) return { question, usage: { inputTokens: 0, outputTokens: 0 } };
    const rewrite = rewriteFollowUp(question, history);
    const inputTokens =
      countWords(question) + rewrite.turnsUsed.reduce((sum, t) => sum + countWords(t.query), 0);
    return { question: rewrite.question, usage: { inputTokens, outputTokens: countWords(rewrite.question) } };
  }
}

/** The sentences of an answer (each rendered with its citation), the passages cited and the usage. */
function compose(options: GenerateOptions): Omit<GenerateResult, 'text'> & { sentences: string[] } {
  options.abortSignal?.throwIfAborted();
  const { question, passages, history, params } = options;
  const inputTokens = countWords(question) + passages.reduce((sum, p) => sum + countWords(p.text), 0);
  // A follow-up ("tell me more about that") has no terms of its own to match, so score with
  // the condensed question's terms too, at a lower weight than the question's own terms.
  const rewrite = rewriteFollowUp(question, history);
  const weights = queryWeights(question, rewrite.contextTerms);
  const picked = pickSentences(passages, weights, wordBudget(params.maxTokens));
  if (picked.length === 0) {
    return {
      sentences: [NOT_FOUND],
      citations: [],
      usage: { inputTokens, outputTokens: countWords(NOT_FOUND) },
    };
  }
  const sentences = picked.map((s) => s.rendered);
  const citations = [...new Set(picked.map((s) => s.passage + 1))].sort((a, b) => a - b);
  return { sentences, citations, usage: { inputTokens, outputTokens: countWords(sentences.join(' ')) } };
}

/** What the generator answers when no passage shares a content term with the question. */
export const NOT_FOUND = 'I could not find anything about that in the indexed documents.';

const DEFAULT_MAX_WORDS = 120;
const MAX_SENTENCES = 5;
/** Added to a sentence's coverage for its passage's retrieval rank: breaks ties, never outranks coverage. */
const RANK_BONUS = 0.05;
/** Sentences covering less than this share of the best sentence's coverage are tangents, not answers. */
const MIN_RELATIVE_COVERAGE = 0.3;
/** Sentences sharing more than this share of their terms (Jaccard) repeat each other. */
const MAX_OVERLAP = 0.6;
/** Fragments shorter than this ("Note:", "Example") are not answers. */
const MIN_SENTENCE_WORDS = 3;
/** Terms from earlier turns count half as much as the question's own terms. */
const CONTEXT_WEIGHT = 0.5;
/** A question term found only in a table row's column names counts this much. */
const LABEL_WEIGHT = 0.5;
/** Questions with fewer content terms than this lean on the conversation for their subject. */
const FOLLOW_UP_MAX_TERMS = 4;
/** Earlier turns whose questions are carried into a follow-up. */
const FOLLOW_UP_TURNS = 2;
/** Cap on carried terms, so a long earlier question cannot drown the current one in retrieval. */
const MAX_CONTEXT_TERMS = 8;

function wordBudget(maxTokens: number | undefined): number {
  if (maxTokens === undefined || !Number.isFinite(maxTokens)) return DEFAULT_MAX_WORDS;
  return Math.max(1, Math.floor(maxTokens));
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

// ---------------------------------------------------------------------------------------------
// Terms

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
function contentWords(text: string): string[] {
  return text.split(/[^\p{L}\p{N}_-]+/u).filter((word) => contentTerms(word).length > 0);
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

function terms(text: string): Set<string> {
  return new Set(contentTerms(text).map(stem));
}

/** The question's own terms weigh 1, terms carried over from earlier turns weigh less. */
function queryWeights(question: string, contextWords: readonly string[]): Map<string, number> {
  const weights = new Map<string, number>();
  for (const term of terms(contextWords.join(' '))) weights.set(term, CONTEXT_WEIGHT);
  for (const term of terms(question)) weights.set(term, 1);
  return weights;
}

// ---------------------------------------------------------------------------------------------
// Follow-up questions

// Words that point back at something said earlier rather than naming it.
const ANAPHORA: ReadonlySet<string> = new Set(
  'it its that this these those they them their there more else also same another'.split(' '),
);
const CONTINUATION = /^\s*(and|but|or|also|so|then)\b|\b(what|how)\s+about\b/i;
// "is there a way" asks whether something exists; it does not point back.
const EXISTENTIAL = new Set(['is', 'are', 'was', 'were']);

function hasAnaphora(question: string): boolean {
  if (CONTINUATION.test(question)) return true;
  const words = question
    .toLowerCase()
    .split(/[^\p{L}\p{N}']+/u)
    .filter(Boolean);
  return words.some((w, i) => ANAPHORA.has(w) && !(w === 'there' && EXISTENTIAL.has(words[i - 1] ?? '')));
}

interface FollowUpRewrite {
  readonly question: string;
  /** Content words carried over from earlier questions (empty for a standalone question). */
  readonly contextTerms: readonly string[];
  readonly turnsUsed: readonly Turn[];
}

/**
 * Turns a follow-up into a standalone retrieval question by prepending the content words of
 * the last one or two questions: "configure port — Tell me more about that." BM25 needs those
 * words; the original question is kept whole so nothing the user asked is lost.
 */
function rewriteFollowUp(question: string, history: readonly Turn[]): FollowUpRewrite {
  const own = terms(question);
  const isFollowUp = own.size < FOLLOW_UP_MAX_TERMS || hasAnaphora(question);
  if (history.length === 0 || !isFollowUp) return { question, contextTerms: [], turnsUsed: [] };
  // History is oldest first. Walk back from the newest turn so the cap keeps the freshest
  // words, then put them back in the order they were asked.
  const turnsUsed = history.slice(-FOLLOW_UP_TURNS);
  const seen = new Set(own);
  const perTurn: string[][] = [];
  let room = MAX_CONTEXT_TERMS;
  for (const turn of [...turnsUsed].reverse()) {
    const carried: string[] = [];
    for (const word of contentWords(turn.query)) {
      const keys = [...terms(word)];
      if (room === 0 || keys.every((key) => seen.has(key))) continue;
      for (const key of keys) seen.add(key);
      carried.push(word);
      room--;
    }
    perTurn.unshift(carried);
  }
  const contextTerms = perTurn.flat();
  if (contextTerms.length === 0) return { question, contextTerms: [], turnsUsed };
  return { question: `${contextTerms.join(' ')} — ${question}`, contextTerms, turnsUsed };
}

// ---------------------------------------------------------------------------------------------
// Sentences

interface Unit {
  readonly text: string;
  /**
   * Set for table rows, which are kept whole: splitting one would separate a value from its
   * column names. Column names match at a discount, or a column name would match every row.
   */
  readonly row?: { readonly cells: string; readonly columns: string };
}

const FENCE = /^(```|~~~)/;
const HEADING = /^#{1,6}\s/;
const RULE = /^([-*_=])(\s*\1){2,}$/;
const TABLE_SEPARATOR = /^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$/;
const LIST_ITEM = /^([-*+]|\d{1,3}[.)])\s+/;

/**
 * Cuts a passage into units a sentence splitter can handle: paragraphs (wrapped lines joined),
 * list items, and table rows labelled with their column names. Headings, rules and fenced code
 * are dropped: a heading repeats the question without answering it, and code flattened into a
 * line of prose reads as noise.
 */
function passageUnits(text: string): Unit[] {
  const units: Unit[] = [];
  let paragraph: string[] = [];
  let inFence = false;
  let header: string[] | undefined;
  let previousRow: string[] | undefined;
  const flush = (): void => {
    if (paragraph.length > 0) units.push({ text: paragraph.join(' ') });
    paragraph = [];
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (FENCE.test(line)) {
      flush();
      inFence = !inFence;
      continue;
    }
    if (inFence) continue;
    if (line.startsWith('|')) {
      flush();
      if (TABLE_SEPARATOR.test(line)) {
        // The row above a separator was the header: it names the columns, it is not content.
        if (previousRow) units.pop();
        header = previousRow;
        previousRow = undefined;
        continue;
      }
      const cells = tableCells(line);
      previousRow = cells;
      units.push({
        text: labelRow(cells, header),
        row: { cells: cells.join(' '), columns: header?.join(' ') ?? '' },
      });
      continue;
    }
    header = undefined;
    previousRow = undefined;
    if (line === '' || HEADING.test(line) || RULE.test(line)) {
      flush();
      continue;
    }
    if (LIST_ITEM.test(line)) {
      flush();
      paragraph.push(line.replace(LIST_ITEM, ''));
      continue;
    }
    paragraph.push(line.replace(/^>\s?/, ''));
  }
  flush();
  return units;
}

function tableCells(line: string): string[] {
  return line
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());
}

function labelRow(cells: readonly string[], header: readonly string[] | undefined): string {
  const parts = cells
    .map((cell, i) => (header?.[i] ? `${header[i]}: ${cell}` : cell))
    .filter((_, i) => cells[i] !== '');
  return parts.join('; ');
}

// Words that end in a period without ending the sentence.
const ABBREVIATIONS: ReadonlySet<string> = new Set(
  (
    'e.g i.e etc vs cf approx fig no nr mr mrs ms dr st inc ltd al incl resp esp min max sec ver vol p pp ca ' +
    'jan feb mar apr jun jul aug sep sept oct nov dec'
  ).split(' '),
);

/**
 * Splits at `.`, `!` or `?` followed by space and something that can start a sentence (a
 * capital, a digit, a quote or code), but not after an abbreviation or initial, and never
 * inside inline code, where periods belong to paths and versions.
 */
function splitSentences(unit: string): string[] {
  const code = [...unit.matchAll(/`[^`]*`/g)].map((m) => [m.index, m.index + m[0].length] as const);
  const inCode = (i: number): boolean => code.some(([from, to]) => i >= from && i < to);
  const sentences: string[] = [];
  let start = 0;
  for (const match of unit.matchAll(/[.!?]+["')\]]*\s+(?=[\p{Lu}\p{N}"'`([*])/gu)) {
    const end = match.index + match[0].trimEnd().length;
    if (inCode(match.index)) continue;
    const lastWord = /(\S+)$/.exec(unit.slice(start, match.index))?.[1] ?? '';
    const bare = lastWord.replace(/^[("'`[]+/, '').toLowerCase();
    if (match[0].startsWith('.') && (ABBREVIATIONS.has(bare) || /^\p{L}$/u.test(bare))) continue;
    sentences.push(unit.slice(start, end));
    start = match.index + match[0].length;
  }
  sentences.push(unit.slice(start));
  return sentences;
}

/** Removes markdown an answer should not show: emphasis, code ticks, link syntax, HTML tags. */
function cleanSentence(sentence: string): string {
  return sentence
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, ' ')
    .replace(/`+/g, '')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/^[#>*\-+\s]+/, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[:;,]$/, '.');
}

// ---------------------------------------------------------------------------------------------
// Picking

interface Candidate {
  readonly text: string;
  readonly terms: ReadonlySet<string>;
  /** Terms of a table row's column names. */
  readonly labelTerms: ReadonlySet<string>;
  /** 0-based index into the passages. */
  readonly passage: number;
  /** Position in reading order across all passages, for stable ties. */
  readonly position: number;
  readonly coverage: number;
  readonly score: number;
}

interface Picked {
  readonly passage: number;
  readonly rendered: string;
}

function candidates(passages: readonly RetrievedChunk[], weights: ReadonlyMap<string, number>): Candidate[] {
  const sentences = passages.flatMap((chunk, passage) =>
    passageUnits(chunk.text)
      .flatMap(unitSentences)
      .filter((s) => countWords(s.text) >= MIN_SENTENCE_WORDS)
      .map((s) => ({ text: s.text, passage, terms: terms(s.matchText), labelTerms: terms(s.labelText) })),
  );
  // IDF across passages: a term every passage mentions says little about which sentence answers.
  const passageTerms = passages.map((p) => terms(`${p.title} ${p.text}`));
  const idf = new Map<string, number>();
  for (const term of weights.keys()) {
    const df = passageTerms.filter((set) => set.has(term)).length;
    idf.set(term, Math.log(1 + passages.length / Math.max(df, 1)));
  }
  let total = 0;
  for (const [term, weight] of weights) total += weight * (idf.get(term) ?? 0);
  return sentences.map((s, position) => {
    let covered = 0;
    for (const [term, weight] of weights) {
      const match = s.terms.has(term) ? 1 : s.labelTerms.has(term) ? LABEL_WEIGHT : 0;
      covered += match * weight * (idf.get(term) ?? 0);
    }
    const coverage = total > 0 ? covered / total : 0;
    const rankBonus = (RANK_BONUS * (passages.length - s.passage)) / passages.length;
    return { ...s, position, coverage, score: coverage + rankBonus };
  });
}

function unitSentences(unit: Unit): { text: string; matchText: string; labelText: string }[] {
  if (unit.row) {
    return [{ text: cleanSentence(unit.text), matchText: unit.row.cells, labelText: unit.row.columns }];
  }
  return splitSentences(unit.text).map((raw) => {
    const text = cleanSentence(raw);
    return { text, matchText: text, labelText: '' };
  });
}

/**
 * Two sentences repeat each other when they share most of their terms (Jaccard), or when one
 * says nothing the other does not (subset). Jaccard alone would keep a short sentence inside a
 * long one; the overlap coefficient alone would drop list items that share only boilerplate
 * ("HOST: the host the server listens on" after "PORT: the port the server listens on").
 */
function repeats(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  let shared = 0;
  for (const term of a) if (b.has(term)) shared++;
  const smaller = Math.min(a.size, b.size);
  if (smaller === 0) return false;
  return shared === smaller || shared / (a.size + b.size - shared) > MAX_OVERLAP;
}

/** Puts the citation before the closing punctuation: "The port defaults to 8080 [2]." */
function render(text: string, passage: number): string {
  const marker = `[${passage + 1}]`;
  const end = /[.!?]+$/.exec(text);
  return end ? `${text.slice(0, end.index)} ${marker}${end[0]}` : `${text} ${marker}.`;
}

/** Keeps the first words of a sentence too long for the whole budget, leaving room for the marker. */
function truncate(text: string, passage: number, budget: number): string {
  const words = text.split(' ').slice(0, Math.max(1, budget - 1));
  return `${words.join(' ')}… [${passage + 1}]`;
}

/**
 * Greedy selection by score: skip tangents and near-repeats (overlapping chunks often carry the
 * same sentence), skip sentences that no longer fit, stop at the sentence cap. The answer keeps
 * the order of relevance, the most useful sentence first.
 */
function pickSentences(
  passages: readonly RetrievedChunk[],
  weights: ReadonlyMap<string, number>,
  budget: number,
): Picked[] {
  const ranked = candidates(passages, weights)
    .filter((c) => c.coverage > 0)
    .sort((a, b) => b.score - a.score || a.position - b.position);
  const best = Math.max(0, ...ranked.map((c) => c.coverage));
  const chosen: Candidate[] = [];
  const picked: Picked[] = [];
  let used = 0;
  for (const candidate of ranked) {
    if (picked.length === MAX_SENTENCES) break;
    if (candidate.coverage < best * MIN_RELATIVE_COVERAGE) continue;
    if (chosen.some((c) => repeats(c.terms, candidate.terms))) continue;
    let rendered = render(candidate.text, candidate.passage);
    if (used + countWords(rendered) > budget) {
      if (picked.length > 0) continue;
      rendered = truncate(candidate.text, candidate.passage, budget);
    }
    chosen.push(candidate);
    picked.push({ passage: candidate.passage, rendered });
    used += countWords(rendered);
  }
  return picked;
}
