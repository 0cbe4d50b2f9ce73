/**
 * How an answer is scored against a gold question: where the gold document ranks among the
 * retrieved chunks and among the cited sources, whether the key fact comes early, and whether
 * `[1]` points into the gold document. Pure functions, so the scoring itself is tested.
 */

/** Chunks the generator gets by default (`top_k`), and so the depth of recall and MRR. */
export const DEPTH = 5;

/**
 * 1-based rank of the first document in `documents` (best first) that the question accepts, within
 * the first `DEPTH`; undefined when none is there.
 */
export function goldRank(documents: readonly string[], accepted: readonly string[]): number | undefined {
  const index = documents.slice(0, DEPTH).findIndex((document) => accepted.includes(document));
  return index < 0 ? undefined : index + 1;
}

/** Markdown an answer may keep or drop (code ticks, emphasis), citation markers, case and spacing. */
export function normalizedText(text: string): string {
  return text
    .replace(/\s*\[\d+\]/g, '')
    .replace(/[`*]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/**
 * The first `count` sentences of an answer: split after `.`, `!` or `?` (and any citation marker or
 * closing quote) before the next capital, digit, quote or code. An abbreviation may cut a sentence
 * short, which only makes the measure stricter.
 */
export function leadSentences(answer: string, count: number): string {
  const sentences = answer.split(/(?<=[.!?]["')\]]*)\s+(?=[\p{Lu}\p{N}"'`([*])/u);
  return sentences.slice(0, count).join(' ');
}

/** Whether the answer's first two sentences state the key fact. */
export function leadsWithKeyFact(answer: string, keyFact: string): boolean {
  return normalizedText(leadSentences(answer, 2)).includes(normalizedText(keyFact));
}

export interface QuestionScore {
  /** Rank of the gold document among the retrieved chunks (`trace.retrieved`). */
  readonly retrievedRank: number | undefined;
  /** Rank of the gold document among the cited `sources`, in citation order. */
  readonly citedRank: number | undefined;
  readonly keyFactInLead: boolean;
  /** `[1]` (the first source) is a passage of the gold document. */
  readonly firstCitationGold: boolean;
}

export interface Rates {
  readonly questions: number;
  readonly retrievedRecall: number;
  readonly retrievedMrr: number;
  readonly citedRecall: number;
  readonly citedMrr: number;
  readonly keyFactInLead: number;
  readonly firstCitationGold: number;
}

const share = (scores: readonly QuestionScore[], test: (score: QuestionScore) => boolean | number): number =>
  scores.length === 0
    ? Number.NaN
    : scores.reduce((sum, score) => sum + Number(test(score)), 0) / scores.length;

const reciprocal = (rank: number | undefined): number => (rank === undefined ? 0 : 1 / rank);

/** recall@5 (gold document among the first 5), MRR@5 and the answer shares over a group of questions. */
export function rates(scores: readonly QuestionScore[]): Rates {
  return {
    questions: scores.length,
    retrievedRecall: share(scores, (s) => s.retrievedRank !== undefined),
    retrievedMrr: share(scores, (s) => reciprocal(s.retrievedRank)),
    citedRecall: share(scores, (s) => s.citedRank !== undefined),
    citedMrr: share(scores, (s) => reciprocal(s.citedRank)),
    keyFactInLead: share(scores, (s) => s.keyFactInLead),
    firstCitationGold: share(scores, (s) => s.firstCitationGold),
  };
}
