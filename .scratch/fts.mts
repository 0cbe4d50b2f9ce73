import { createRequire } from 'node:module';
const require = createRequire('/tmp/sq/');
const Database = require('better-sqlite3');
import { syntheticChunks, wordsByFrequency } from '../bench/support/synthetic-corpus.js';
import { sampleChunks, labeledQuestions } from '../bench/support/sample-corpus.js';
import { tokenize } from '../src/adapters/local/tokenizer.js';
const N = Number(process.argv[2] ?? 100000);
const real = await sampleChunks();
const db = new Database('/tmp/proto/fts.db');
db.pragma('journal_mode = WAL');
db.exec('drop table if exists fts; create virtual table fts using fts5(title, body, tokenize="unicode61 remove_diacritics 0", detail=column)');
const ins = db.prepare('insert into fts(rowid,title,body) values (?,?,?)');
const t0 = performance.now();
let n = 0;
db.transaction(() => {
  for (const c of real) ins.run(++n, tokenize(c.title).join(' '), tokenize(c.text).join(' '));
  for (const c of syntheticChunks({ count: N - real.length, seedWords: wordsByFrequency(real.map((c) => c.text)), minWords: 60, maxWords: 220 }))
    ins.run(++n, tokenize(c.title).join(' '), tokenize(c.text).join(' '));
})();
console.log('build s', ((performance.now() - t0) / 1000).toFixed(1));
const q = db.prepare('select rowid, bm25(fts, 1.25, 1.0) as s from fts where fts match ? order by s limit 5');
const questions = await labeledQuestions();
const times: number[] = [];
for (let r = 0; r < 3; r++)
  for (const { question } of questions) {
    const terms = [...new Set(tokenize(question))].map((t) => `"${t}"`).join(' OR ');
    const s = performance.now();
    q.all(terms);
    times.push(performance.now() - s);
  }
times.sort((a, b) => a - b);
console.log('p50', times[Math.floor(times.length / 2)].toFixed(1), 'p99', times[Math.floor(times.length * 0.99)].toFixed(1), 'rss MB', (process.memoryUsage().rss / 1e6).toFixed(0));
