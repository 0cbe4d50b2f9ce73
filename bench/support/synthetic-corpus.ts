/**
 * Generated chunks for scaling the local index past the sample corpus. Words follow Zipf's law
 * over a vocabulary that starts with the sample corpus's own words (most frequent first) and grows
 * with the corpus as Heaps' law says, so posting lists are as skewed as in real text and the
 * labeled questions' words occur at realistic rates.
 */

/** mulberry32: small, fast, and seeded, so every run indexes the same chunks. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const SYLLABLES =
  'ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo vu za ze zi zo zu'.split(
    ' ',
  );

function pseudoWord(random: () => number): string {
  const syllables = 2 + Math.floor(random() * 3);
  let word = '';
  for (let i = 0; i < syllables; i++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)] as string;
  return word;
}

/** Words of `texts` by descending frequency. */
export function wordsByFrequency(texts: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const word of text.toLowerCase().split(/[^\p{L}\p{N}_-]+/u)) {
      if (word.length > 0) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([word]) => word);
}

export interface SyntheticChunkText {
  readonly title: string;
  readonly text: string;
}

export interface SyntheticCorpusOptions {
  readonly count: number;
  /** Real words, most frequent first; they take the top ranks of the vocabulary. */
  readonly seedWords: readonly string[];
  readonly seed?: number;
  /** @default 100 */
  readonly minWords?: number;
  /** @default 400 */
  readonly maxWords?: number;
}

/** Heaps' law with English-like constants: distinct words after `tokens` running words. */
const heapsVocabulary = (tokens: number): number => Math.round(40 * Math.pow(tokens, 0.5));

export function* syntheticChunks(options: SyntheticCorpusOptions): Generator<SyntheticChunkText> {
  const random = seededRandom(options.seed ?? 7);
  const minWords = options.minWords ?? 100;
  const maxWords = options.maxWords ?? 400;
  const meanWords = (minWords + maxWords) / 2;
  const vocabularySize = Math.max(options.seedWords.length, heapsVocabulary(options.count * meanWords));
  const vocabulary = [...options.seedWords];
  const seen = new Set(vocabulary);
  while (vocabulary.length < vocabularySize) {
    const word = pseudoWord(random);
    if (!seen.has(word)) {
      seen.add(word);
      vocabulary.push(word);
    }
  }
  // Cumulative Zipf weights (exponent 1) for sampling a rank by binary search.
  const cumulative = new Float64Array(vocabulary.length);
  let total = 0;
  for (let rank = 0; rank < vocabulary.length; rank++) {
    total += 1 / (rank + 1);
    cumulative[rank] = total;
  }
  const sampleWord = (): string => {
    const target = random() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] as number) < target) low = middle + 1;
      else high = middle;
    }
    return vocabulary[low] as string;
  };
  const sentence = (words: number): string => Array.from({ length: words }, sampleWord).join(' ');

  for (let i = 0; i < options.count; i++) {
    const length = minWords + Math.floor(random() * (maxWords - minWords + 1));
    let text = '';
    for (let written = 0; written < length;) {
      const words = Math.min(length - written, 8 + Math.floor(random() * 14));
      text += `${sentence(words)}. `;
      written += words;
    }
    yield { title: `${sentence(3)} › ${sentence(2)}`, text: text.trimEnd() };
  }
}
