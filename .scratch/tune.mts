import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalRetrieval, localIndexPath } from '../src/adapters/local/open-local-retrieval.js';
import { LocalVectorIndex } from '../src/adapters/local/local-index.js';
import { ExtractiveGenerator } from '../src/adapters/local/extractive-generator.js';
import { ingestFolder } from '../src/ingest/ingest-folder.js';
import { NPM_DOCS, SAMPLE } from '../bench/support/corpora.js';
import { goldRank } from '../bench/support/answer-scoring.js';

const split = process.argv[2] ?? 'dev';
const gen = new ExtractiveGenerator();
for (const corpus of [NPM_DOCS, SAMPLE]) {
  const dir = await mkdtemp(join(tmpdir(), 'tune-'));
  const { embedder, index } = await openLocalRetrieval(dir);
  await ingestFolder({ dir: corpus.dir, source: corpus.source, embedder, index });
  const qs = (await corpus.questions()).filter((q) => q.split === split);
  const texts = await Promise.all(qs.map(async (q) => q.previous === undefined ? q.question : (await gen.condense({ question: q.question, history: [{ sessionId: 's', query: q.previous, response: '', sources: [], createdAt: 0 }] })).question));
  const grid: [string, object][] = [];
  for (const k1 of [0.9, 1.2, 1.6]) for (const b of [0.5, 0.75, 0.9]) for (const titleBoost of [0, 0.5, 1, 2]) for (const titleB of [0.3, 0.75])
    grid.push([`k1 ${k1} b ${b} title ${titleBoost} titleB ${titleB}`, { bm25: { k1, b, titleB }, titleBoost }]);
  const rows: [string, number, number, number][] = [];
  for (const [name, options] of grid) {
    const ix = await LocalVectorIndex.open(localIndexPath(dir), options);
    let r = 0, m = 0, rp = 0, np = 0;
    for (const [i, q] of qs.entries()) {
      const { matches } = await ix.query({ text: texts[i]!, vector: [], topK: 5 });
      const rank = goldRank(matches.map((c) => c.location.slice(corpus.source.length + 1)), q.accepted);
      r += rank ? 1 : 0; m += rank ? 1 / rank : 0;
      if (q.kind === 'paraphrase') { np++; rp += rank ? 1 : 0; }
    }
    await ix.close();
    rows.push([name, r / qs.length, m / qs.length, np ? rp / np : NaN]);
  }
  rows.sort((a, b) => b[1] - a[1] || b[2] - a[2]);
  console.log(corpus.name);
  for (const row of rows.slice(0, 8)) console.log(`  ${row[0].padEnd(40)} recall ${row[1].toFixed(3)} mrr ${row[2].toFixed(3)} para ${row[3].toFixed(3)}`);
  console.log('  default', rows.find((r) => r[0] === 'k1 1.2 b 0.75 title 1 titleB 0.75')?.slice(1).map((x) => Number(x).toFixed(3)).join(' '));
}
