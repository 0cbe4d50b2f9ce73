/**
 * The corpora the answer benchmark asks questions of, each with its gold questions.
 *
 * - `npm-docs`: the npm CLI's own documentation (`docs/content/**\/*.md` inside the `npm` package,
 *   pinned as an exact devDependency): 91 pages nobody here wrote, with much repeated text (every
 *   command page copies the descriptions of its options), which makes ranking hard. Its questions
 *   have a fixed split: `dev` may be tuned on, `held-out` is only reported.
 * - `sample`: the project's own documentation (`examples/corpus/`), whose 41 questions were written
 *   together with it and on which the default ranking was once chosen; reported, never a goal.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QUESTIONS_FILE, SAMPLE_CORPUS, SAMPLE_SOURCE, type LabeledQuestion } from './sample-corpus.js';

export type QuestionKind = 'keyword' | 'paraphrase' | 'follow-up';
export type Split = 'dev' | 'held-out';

export interface GoldQuestion {
  readonly id: string;
  /** Unset for the sample corpus, whose questions were not labelled by kind. */
  readonly kind?: QuestionKind;
  readonly split: Split;
  readonly question: string;
  /** For a follow-up: the question asked in the turn before, answered first in the same conversation. */
  readonly previous?: string;
  /** Documents (paths inside the corpus) whose passages answer it; the first is the gold document. */
  readonly accepted: readonly string[];
  /** A short phrase a correct answer must contain. */
  readonly keyFact: string;
}

export interface Corpus {
  readonly name: string;
  readonly title: string;
  readonly dir: string;
  /** Source name the corpus is ingested under; locations are `<source>/<path>`. */
  readonly source: string;
  readonly questions: () => Promise<GoldQuestion[]>;
}

interface NpmDocsQuestion {
  readonly id: string;
  readonly kind: QuestionKind;
  readonly split: Split;
  readonly question: string;
  readonly previous?: string;
  readonly gold: string;
  /** Other pages that carry the same answering passage (npm's docs repeat option descriptions). */
  readonly also?: readonly string[];
  readonly keyFact: string;
}

const NPM_QUESTIONS_FILE = fileURLToPath(new URL('../data/npm-docs-questions.json', import.meta.url));

/** The documentation folder inside the installed `npm` package. */
export function npmDocsDir(): string {
  const packageJson = createRequire(import.meta.url).resolve('npm/package.json');
  return join(dirname(packageJson), 'docs', 'content');
}

export const NPM_DOCS: Corpus = {
  name: 'npm-docs',
  title: 'npm docs',
  dir: npmDocsDir(),
  source: 'npm-docs',
  questions: async () => {
    const raw = JSON.parse(await readFile(NPM_QUESTIONS_FILE, 'utf8')) as NpmDocsQuestion[];
    return raw.map(({ gold, also, ...question }) => ({ ...question, accepted: [gold, ...(also ?? [])] }));
  },
};

export const SAMPLE: Corpus = {
  name: 'sample',
  title: 'sample corpus',
  dir: SAMPLE_CORPUS,
  source: SAMPLE_SOURCE,
  questions: async () => {
    const raw = JSON.parse(await readFile(QUESTIONS_FILE, 'utf8')) as (LabeledQuestion & {
      readonly keyFact: string;
    })[];
    // Written alongside the corpus and tuned on before: all of it counts as development data.
    return raw.map((q, i): GoldQuestion => ({
      id: `sample-${String(i + 1).padStart(3, '0')}`,
      split: 'dev',
      question: q.question,
      accepted: q.expected,
      keyFact: q.keyFact,
    }));
  },
};
