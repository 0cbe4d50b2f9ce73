import type { RetrievedChunk } from '../../../core/ports/types.js';
import { countWords } from '../../../text/words.js';
import { passageSentences } from './sentences.js';
import { terms } from './terms.js';

/**
 * Choosing the sentences of an extractive answer: each sentence is scored by how much of the
 * question it covers (term overlap, weighted by IDF across the retrieved passages), then the
 * best ones are taken greedily, without repeats, within a word budget.
 */

/** An answer is a few sentences that answer, not a digest of every passage. */
const MAX_SENTENCES = 6;
/**
 * Added to a sentence's coverage for its passage's retrieval rank. The retriever saw the whole
 * chunk and its title, a sentence scorer sees one sentence: a top passage's sentence should win
 * over a near-equal one from the fifth.
 */
const RANK_BONUS = 0.15;
/** A question term found only in the passage's title and heading path counts this much. */
const TITLE_WEIGHT = 0.5;
/** Sentences where more than this share of characters is punctuation are code or JSON, not prose. */
const MAX_SYMBOL_SHARE = 0.12;
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
/** A sentence that ends in a colon introduces the answer (a list, an example) without giving it. */
const LEAD_IN_WEIGHT = 0.5;

/** The question's own terms weigh 1, terms carried over from earlier turns weigh less. */
export function queryWeights(question: string, contextWords: readonly string[]): Map<string, number> {
  const weights = new Map<string, number>();
  for (const term of terms(contextWords.join(' '))) weights.set(term, CONTEXT_WEIGHT);
  for (const term of terms(question)) weights.set(term, 1);
  return weights;
}

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

export interface Picked {
  /** 0-based indexes into the passages that state the sentence: its own, then any that repeat it. */
  readonly passages: readonly number[];
  readonly rendered: string;
}

function candidates(passages: readonly RetrievedChunk[], weights: ReadonlyMap<string, number>): Candidate[] {
  const sentences = passages.flatMap((chunk, passage) =>
    passageSentences(chunk.text)
      .filter((s) => countWords(s.text) >= MIN_SENTENCE_WORDS && !looksLikeCode(s.text))
      .map((s) => ({
        text: s.text,
        passage,
        terms: terms(s.matchText),
        labelTerms: terms(s.labelText),
        titleTerms: terms(chunk.title),
        leadIn: s.leadIn,
      })),
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
      const match = s.terms.has(term)
        ? 1
        : s.labelTerms.has(term)
          ? LABEL_WEIGHT
          : s.titleTerms.has(term)
            ? TITLE_WEIGHT
            : 0;
      covered += match * weight * (idf.get(term) ?? 0);
    }
    const coverage = (total > 0 ? covered / total : 0) * (s.leadIn ? LEAD_IN_WEIGHT : 1);
    const rankBonus = (RANK_BONUS * (passages.length - s.passage)) / passages.length;
    return { ...s, position, coverage, score: coverage + rankBonus };
  });
}

/** The document a chunk belongs to: its id without the chunk's position (`<source>:<path>#<n>-<hash>`). */
function documentOf(chunk: RetrievedChunk): string {
  const hash = chunk.id.lastIndexOf('#');
  return hash < 0 ? chunk.id : chunk.id.slice(0, hash);
}

/** Braces, quotes, brackets and operators in bulk mark a code line or a JSON example. */
function looksLikeCode(text: string): boolean {
  const symbols = text.match(/[{}[\]()"=;<>|\\]/g)?.length ?? 0;
  return symbols / text.length > MAX_SYMBOL_SHARE;
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

/** Puts the citations before the closing punctuation: "The port defaults to 8080 [2][4]." */
function render(text: string, passages: readonly number[]): string {
  const markers = passages.map((p) => `[${p + 1}]`).join('');
  const end = /[.!?]+$/.exec(text);
  return end ? `${text.slice(0, end.index)} ${markers}${end[0]}` : `${text} ${markers}.`;
}

/** Keeps the first words of a sentence too long for the whole budget, leaving room for the marker. */
function truncate(text: string, passage: number, budget: number): string {
  const words = text.split(' ').slice(0, Math.max(1, budget - 1));
  return `${words.join(' ')}… [${passage + 1}]`;
}

/** A sentence of the answer and every passage that states it. */
interface Chosen {
  readonly candidate: Candidate;
  readonly passages: number[];
  /** Set when the sentence alone was over the budget and had to be cut. */
  readonly truncated?: string;
}

/**
 * The answer starts from the retriever's best passages, because the retriever saw whole chunks
 * and their titles while this scorer sees one sentence at a time: on a paraphrased question, term
 * overlap favours sentences of weaker passages (DESIGN 4b). So:
 *
 * 1. the lead is the best sentence of the top-ranked document: of the top-ranked passage that has
 *    one, or of another retrieved passage of the same document when that states the answer better
 *    (a document's short chunk, such as a list, can outrank the chunk that answers); the top
 *    passage is never dropped for a weaker match either way (step 3 quotes it);
 * 2. the second sentence is the best remaining one by score, from any passage;
 * 3. every other retrieved passage with a matching sentence is quoted once, in rank order, so the
 *    sources keep what retrieval found;
 * 4. sentences left over by score fill the rest, up to the sentence cap.
 *
 * A sentence that repeats one already chosen (overlapping chunks, or pages that copy each other)
 * is not said twice: its passage is cited on the sentence already there. Sentences that no longer
 * fit the word budget are skipped.
 */
export function pickSentences(
  passages: readonly RetrievedChunk[],
  weights: ReadonlyMap<string, number>,
  budget: number,
): Picked[] {
  const ranked = candidates(passages, weights)
    .filter((c) => c.coverage > 0)
    .sort((a, b) => b.score - a.score || a.position - b.position);
  const best = Math.max(0, ...ranked.map((c) => c.coverage));
  const relevant = ranked.filter((c) => c.coverage >= best * MIN_RELATIVE_COVERAGE);
  const chosen: Chosen[] = [];
  const isChosen = (c: Candidate) => chosen.some((entry) => entry.candidate === c);
  const cited = (passage: number) => chosen.some((entry) => entry.passages.includes(passage));
  let used = 0;

  /** Adds the candidate, or cites its passage on the sentence it repeats; false when neither happened. */
  const take = (candidate: Candidate | undefined): boolean => {
    if (!candidate || isChosen(candidate)) return false;
    const repeated = chosen.find((entry) => repeats(entry.candidate.terms, candidate.terms));
    if (repeated) {
      if (repeated.passages.includes(candidate.passage) || used + 1 > budget) return false;
      repeated.passages.push(candidate.passage);
      used += 1;
      return true;
    }
    if (chosen.length === MAX_SENTENCES) return false;
    const words = countWords(render(candidate.text, [candidate.passage]));
    if (used + words > budget) {
      if (chosen.length > 0) return false;
      const truncated = truncate(candidate.text, candidate.passage, budget);
      chosen.push({ candidate, passages: [candidate.passage], truncated });
      used += countWords(truncated);
      return true;
    }
    chosen.push({ candidate, passages: [candidate.passage] });
    used += words;
    return true;
  };

  // Within one passage the rank bonus is equal, so `ranked` order is coverage order there.
  const ofPassage = (passage: number) => ranked.filter((c) => c.passage === passage);
  const topPassage = Math.min(...ranked.map((c) => c.passage));
  const topDocument = passages[topPassage] && documentOf(passages[topPassage]);
  const ofTopDocument = ranked
    .filter((c) => documentOf(passages[c.passage]!) === topDocument)
    .sort((a, b) => b.coverage - a.coverage || a.position - b.position);
  take(ofTopDocument[0]);
  take(relevant.find((c) => !isChosen(c)));
  for (let passage = 0; passage < passages.length; passage++) {
    for (const candidate of ofPassage(passage)) if (cited(passage) || take(candidate)) break;
  }
  for (const candidate of relevant) take(candidate);

  return chosen.map((entry) => ({
    passages: entry.passages,
    rendered: entry.truncated ?? render(entry.candidate.text, entry.passages),
  }));
}
