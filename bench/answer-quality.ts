/**
 * Answer quality (issue 13): what users see, measured on two corpora.
 *
 * Every gold question goes through the real pipeline (local index, extractive generator, no
 * guardrail), as `npm start` answers it; a follow-up is asked after its previous question, with
 * that turn as the history. Per question: the rank of the gold document among the retrieved chunks
 * (`trace.retrieved`) and among the cited `sources`, whether the answer's first two sentences
 * contain the key fact, and whether `[1]` is a passage of the gold document. recall@5 and MRR@5 by
 * corpus, split and kind of question. The goals hold on the npm docs' held-out split, which nothing
 * is tuned on; the dev split and the sample corpus are reported beside it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtractiveGenerator } from '../src/adapters/local/extractive-generator.js';
import { LocalVectorIndex, type LocalVectorIndexOptions } from '../src/adapters/local/local-index.js';
import {
  DENSE_VECTOR_WEIGHT,
  localIndexPath,
  openLocalRetrieval,
} from '../src/adapters/local/open-local-retrieval.js';
import type { EmbedderConfig } from '../src/config/backends-config.js';
import { EnvVar } from '../src/shared/env.js';
import { PassThroughGuardrail } from '../src/core/pass-through-guardrail.js';
import { RagPipeline } from '../src/core/pipeline.js';
import { systemClock } from '../src/core/ports/clock.js';
import type { SessionStore } from '../src/core/ports/session-store.js';
import type { RetrievedChunk, Turn } from '../src/core/ports/types.js';
import type { QueryOptions, VectorIndex } from '../src/core/ports/vector-index.js';
import { defaultParams } from '../src/core/protocol/params.js';
import { ingestFolder } from '../src/ingest/ingest-folder.js';
import {
  leadsWithKeyFact,
  goldRank,
  rates,
  type QuestionScore,
  type Rates,
} from './support/answer-scoring.js';
import { NPM_DOCS, SAMPLE, type Corpus, type QuestionKind, type Split } from './support/corpora.js';
import { formatValue, type Figure, type Goal, type Section } from './support/report.js';
import { isMain, progress, runSection } from './support/script.js';

/** The stateless pipeline path (caller-carried history) never touches a session store. */
const NO_SESSIONS: SessionStore = {
  claim: () => Promise.reject(new Error('the benchmark asks without sessions')),
  recent: () => Promise.reject(new Error('the benchmark asks without sessions')),
  append: () => Promise.reject(new Error('the benchmark asks without sessions')),
};

/** Keeps the chunks of the last query, whose locations `trace.retrieved` (ids only) does not carry. */
class RecordingIndex implements VectorIndex {
  last: readonly RetrievedChunk[] = [];
  constructor(private readonly inner: VectorIndex) {}
  async query(options: QueryOptions) {
    const result = await this.inner.query(options);
    this.last = result.matches;
    return result;
  }
  upsert: VectorIndex['upsert'] = (chunks, options) => this.inner.upsert(chunks, options);
  delete: VectorIndex['delete'] = (ids, options) => this.inner.delete(ids, options);
  listIds: VectorIndex['listIds'] = (prefix, options) => this.inner.listIds(prefix, options);
}

export interface ScoredQuestion extends QuestionScore {
  readonly id: string;
  readonly kind?: QuestionKind;
  readonly split: Split;
  readonly answer: string;
}

/** Runs `work` on a fresh data directory holding the corpus, ingested as `npm run ingest` does. */
async function withCorpus<T>(
  corpus: Corpus,
  work: (dataDir: string, retrieval: Awaited<ReturnType<typeof openLocalRetrieval>>) => Promise<T>,
  embedder: EmbedderConfig = { kind: 'local' },
): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), `rag-bench-answers-${corpus.name}-`));
  try {
    const retrieval = await openLocalRetrieval(dataDir, { embedder });
    await ingestFolder({ dir: corpus.dir, source: corpus.source, ...retrieval });
    return await work(dataDir, retrieval);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function askAll(corpus: Corpus): Promise<ScoredQuestion[]> {
  return withCorpus(corpus, async (_dataDir, { embedder, index }) => {
    const recording = new RecordingIndex(index);
    const pipeline = new RagPipeline({
      embedder,
      index: recording,
      generator: new ExtractiveGenerator(),
      guardrail: new PassThroughGuardrail(),
      sessions: NO_SESSIONS,
      clock: systemClock,
    });
    const documentOf = (location: string) => location.slice(corpus.source.length + 1);
    const ask = (query: string, history: readonly Turn[]) =>
      pipeline.answer({ query, history, principal: 'bench', params: defaultParams });

    const scored: ScoredQuestion[] = [];
    for (const question of await corpus.questions()) {
      const history: Turn[] = [];
      if (question.previous !== undefined) {
        const before = await ask(question.previous, []);
        history.push({
          sessionId: 'bench',
          query: question.previous,
          response: before.response,
          sources: before.sources,
          createdAt: systemClock.now(),
        });
      }
      const answer = await ask(question.question, history);
      const retrieved = recording.last.map((chunk) => documentOf(chunk.location));
      const cited = answer.sources.map((source) => documentOf(source.source));
      scored.push({
        id: question.id,
        ...(question.kind && { kind: question.kind }),
        split: question.split,
        answer: answer.response,
        retrievedRank: goldRank(retrieved, question.accepted),
        citedRank: goldRank(cited, question.accepted),
        keyFactInLead: leadsWithKeyFact(answer.response, question.keyFact),
        firstCitationGold: cited[0] !== undefined && question.accepted.includes(cited[0]),
      });
    }
    return scored;
  });
}

/** Rankings compared on the development questions only; the default is the one they chose. */
const RANKING_VARIANTS: readonly { readonly name: string; readonly options: LocalVectorIndexOptions }[] = [
  { name: 'default (BM25F, k1 1.2, b 0.5, title weight 2)', options: {} },
  { name: 'b 0.75 (classic BM25)', options: { bm25: { b: 0.75 } } },
  { name: 'title weight 1', options: { titleBoost: 1 } },
  { name: 'title weight 3', options: { titleBoost: 3 } },
  { name: 'title weight 0 (text only)', options: { titleBoost: 0 } },
  {
    name: 'pseudo-relevance feedback (3 chunks, 10 terms, weight 0.2)',
    options: { feedback: { chunks: 3, terms: 10, weight: 0.2 } },
  },
  { name: 'at most 1 chunk per document', options: { perDocument: 1 } },
  { name: 'hybrid, hashed-vector weight 0.1', options: { vectorWeight: 0.1 } },
  { name: 'hybrid, hashed-vector weight 0.3', options: { vectorWeight: 0.3 } },
];

export interface VariantQuality {
  readonly corpus: string;
  readonly name: string;
  readonly recall: number;
  readonly mrr: number;
}

/** Retrieval alone (recall@5, MRR@5 of the gold document) for each ranking variant, dev questions only. */
async function compareRankings(
  corpus: Corpus,
  variants: typeof RANKING_VARIANTS = RANKING_VARIANTS,
  embedderConfig?: EmbedderConfig,
): Promise<VariantQuality[]> {
  return withCorpus(
    corpus,
    async (dataDir, { embedder }) => {
      const generator = new ExtractiveGenerator();
      const questions = (await corpus.questions()).filter((q) => q.split === 'dev');
      const retrievalQuestions = await Promise.all(
        questions.map(async (q) => {
          if (q.previous === undefined) return q.question;
          const turn = { sessionId: 'bench', query: q.previous, response: '', sources: [], createdAt: 0 };
          return (await generator.condense({ question: q.question, history: [turn] })).question;
        }),
      );
      const vectors = await embedder.embed({ texts: retrievalQuestions, purpose: 'query' });
      const results: VariantQuality[] = [];
      for (const variant of variants) {
        const index = await LocalVectorIndex.open(localIndexPath(dataDir), variant.options);
        const ranks = await Promise.all(
          questions.map(async (q, i) => {
            const { matches } = await index.query({
              text: retrievalQuestions[i] as string,
              vector: vectors.vectors[i] as number[],
              topK: defaultParams.topK,
            });
            return goldRank(
              matches.map((chunk) => chunk.location.slice(corpus.source.length + 1)),
              q.accepted,
            );
          }),
        );
        await index.close();
        const scores = ranks.map((rank) => ({
          retrievedRank: rank,
          citedRank: rank,
          keyFactInLead: false,
          firstCitationGold: false,
        }));
        const r = rates(scores);
        results.push({
          corpus: corpus.name,
          name: variant.name,
          recall: r.retrievedRecall,
          mrr: r.retrievedMrr,
        });
      }
      return results;
    },
    embedderConfig,
  );
}

/** Fusion weights of dense vectors compared when a model server is configured. */
const DENSE_WEIGHTS = [0, 0.1, 0.3, 0.5, 0.7, 1];

/**
 * The fused ranking with a real embedding model, dev questions only: measured only when
 * RAG_OPENAI_BASE_URL and RAG_OPENAI_EMBEDDING_MODEL name a server (none is reachable here).
 */
async function compareDenseWeights(): Promise<VariantQuality[] | undefined> {
  const baseUrl = process.env[EnvVar.openaiBaseUrl];
  const model = process.env[EnvVar.openaiEmbeddingModel];
  if (!baseUrl || !model) return undefined;
  const apiKey = process.env[EnvVar.openaiApiKey];
  return compareRankings(
    NPM_DOCS,
    DENSE_WEIGHTS.map((weight) => ({
      name: `dense vector weight ${weight}`,
      options: { vectorWeight: weight },
    })),
    { kind: 'openai-compatible', baseUrl, model, ...(apiKey && { apiKey }) },
  );
}

const KINDS: readonly QuestionKind[] = ['keyword', 'paraphrase', 'follow-up'];

/** "keyword 0.95, paraphrase 0.80, follow-up 0.75" for one rate. */
function byKind(scores: readonly ScoredQuestion[], rate: keyof Omit<Rates, 'questions'>): string {
  return KINDS.map((kind) => {
    const group = scores.filter((s) => s.kind === kind);
    return `${kind} ${formatValue(rates(group)[rate], 'score')}`;
  }).join(', ');
}

interface GroupGoals {
  readonly retrievedRecall?: Goal;
  readonly retrievedMrr?: Goal;
  readonly citedRecall?: Goal;
  readonly citedMrr?: Goal;
  readonly citedOverRetrieved?: Goal;
  readonly keywordKeyFact?: Goal;
}

/** The goals, on the held-out split only. */
const HELD_OUT_GOALS: GroupGoals = {
  retrievedRecall: { op: '>=', target: 0.97 },
  retrievedMrr: { op: '>=', target: 0.9 },
  citedRecall: { op: '>=', target: 0.95 },
  citedMrr: { op: '>=', target: 0.85 },
  citedOverRetrieved: { op: '>=', target: 1 },
  keywordKeyFact: { op: '>=', target: 0.8 },
};

function groupFigures(
  label: string,
  scores: readonly ScoredQuestion[],
  goals: GroupGoals,
  withKinds: boolean,
): Figure[] {
  const all = rates(scores);
  const kinds = (rate: keyof Omit<Rates, 'questions'>) => (withKinds ? `; ${byKind(scores, rate)}` : '');
  const keyword = rates(scores.filter((s) => s.kind === 'keyword'));
  const figures: Figure[] = [
    {
      figure: `${label}: retrieved recall@5`,
      value: all.retrievedRecall,
      unit: 'score',
      ...(goals.retrievedRecall && { goal: goals.retrievedRecall }),
      note: `${all.questions} questions${kinds('retrievedRecall')}`,
    },
    {
      figure: `${label}: retrieved MRR@5`,
      value: all.retrievedMrr,
      unit: 'score',
      ...(goals.retrievedMrr && { goal: goals.retrievedMrr }),
      ...(withKinds && { note: byKind(scores, 'retrievedMrr') }),
    },
    {
      figure: `${label}: cited recall@5`,
      value: all.citedRecall,
      unit: 'score',
      ...(goals.citedRecall && { goal: goals.citedRecall }),
      ...(withKinds && { note: byKind(scores, 'citedRecall') }),
    },
    {
      figure: `${label}: cited MRR@5`,
      value: all.citedMrr,
      unit: 'score',
      ...(goals.citedMrr && { goal: goals.citedMrr }),
      ...(withKinds && { note: byKind(scores, 'citedMrr') }),
    },
    {
      figure: `${label}: cited recall@5 / retrieved recall@5`,
      value: all.citedRecall / all.retrievedRecall,
      unit: 'ratio',
      ...(goals.citedOverRetrieved && { goal: goals.citedOverRetrieved }),
      note: 'the answer keeps what retrieval found',
    },
    withKinds
      ? {
          figure: `${label}: key fact in the first two sentences, keyword questions`,
          value: keyword.keyFactInLead,
          unit: 'score',
          ...(goals.keywordKeyFact && { goal: goals.keywordKeyFact }),
          note: `all ${formatValue(all.keyFactInLead, 'score')}; ${byKind(scores, 'keyFactInLead')}`,
        }
      : {
          figure: `${label}: key fact in the first two sentences`,
          value: all.keyFactInLead,
          unit: 'score',
        },
    {
      figure: `${label}: [1] is a passage of the gold document`,
      value: all.firstCitationGold,
      unit: 'score',
      ...(withKinds && { note: byKind(scores, 'firstCitationGold') }),
    },
  ];
  return figures;
}

export async function answerQuality(): Promise<Section> {
  progress('npm docs: ingest and ask');
  const npm = await askAll(NPM_DOCS);
  progress('sample corpus: ingest and ask');
  const sample = await askAll(SAMPLE);
  progress('ranking variants on the development questions');
  const variants = [...(await compareRankings(NPM_DOCS)), ...(await compareRankings(SAMPLE))];
  const npmVariants = variants.filter((v) => v.corpus === NPM_DOCS.name);
  const bestNpm = [...npmVariants].sort((a, b) => b.recall - a.recall || b.mrr - a.mrr)[0] as VariantQuality;
  const defaultNpm = npmVariants[0] as VariantQuality;
  progress('dense vector fusion (only with a configured model server)');
  const dense = await compareDenseWeights();
  const bestDense = dense && [...dense].sort((a, b) => b.recall - a.recall || b.mrr - a.mrr)[0];
  const heldOut = npm.filter((s) => s.split === 'held-out');
  const dev = npm.filter((s) => s.split === 'dev');
  const misses = (scores: readonly ScoredQuestion[]) =>
    scores
      .filter((s) => s.citedRank === undefined || !s.keyFactInLead)
      .map(
        (s) =>
          `${s.id}${s.retrievedRank === undefined ? ' (not retrieved)' : s.citedRank === undefined ? ' (retrieved, not cited)' : ' (key fact not in the lead)'}`,
      );
  return {
    name: 'answer-quality',
    title: 'Answer quality',
    figures: [
      ...groupFigures('npm docs, held-out', heldOut, HELD_OUT_GOALS, true),
      ...groupFigures('npm docs, dev', dev, {}, true),
      ...groupFigures('sample corpus', sample, {}, false),
      {
        figure: 'npm docs, dev: retrieved recall@5 of the default ranking / best variant measured',
        value: defaultNpm.recall / bestNpm.recall,
        unit: 'ratio',
        goal: { op: '>=', target: 1 },
        note: `best: ${bestNpm.name}; ${variants.length / 2} variants, dev questions only`,
      },
      bestDense
        ? {
            figure: 'npm docs, dev: best fusion weight of dense vectors (openai-compatible embedder)',
            value: Number(bestDense.name.split(' ').at(-1)),
            unit: 'score',
            note: `recall@5 ${bestDense.recall.toFixed(3)}, MRR@5 ${bestDense.mrr.toFixed(3)}; the code uses ${DENSE_VECTOR_WEIGHT}`,
          }
        : {
            figure: 'npm docs, dev: best fusion weight of dense vectors (openai-compatible embedder)',
            value: Number.NaN,
            unit: 'score',
            notRun: `no model server: set ${EnvVar.openaiBaseUrl} and ${EnvVar.openaiEmbeddingModel}`,
          },
    ],
    findings: [
      `npm docs: ${npm.length} questions (${dev.length} dev, ${heldOut.length} held-out) over the npm CLI's own documentation; goals hold on held-out only`,
      `sample corpus: ${sample.length} questions written with the corpus (the default ranking was chosen on them once)`,
      `held-out misses: ${misses(heldOut).join(', ') || 'none'}`,
      `dev misses: ${misses(dev).join(', ') || 'none'}`,
      `sample misses: ${misses(sample).join(', ') || 'none'}`,
      ...variants.map(
        (v) =>
          `ranking on ${v.corpus} dev: ${v.name}: recall@5 ${v.recall.toFixed(3)}, MRR@5 ${v.mrr.toFixed(3)}`,
      ),
    ],
    details: { npmDocs: npm, sample, rankingVariants: variants, denseWeights: dense ?? null },
  };
}

if (isMain(import.meta.url)) await runSection(answerQuality);
