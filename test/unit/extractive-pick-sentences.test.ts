import { describe, expect, it } from 'vitest';
import { pickSentences, queryWeights } from '../../src/adapters/local/extractive/pick-sentences.js';
import type { RetrievedChunk } from '../../src/core/ports/types.js';

const passage = (id: string, text: string): RetrievedChunk => ({
  id,
  text,
  title: id,
  location: `${id}.md`,
  metadata: {},
  score: 1,
});

describe('queryWeights', () => {
  it('weighs the question’s own terms fully and carried terms at half', () => {
    // Act
    const weights = queryWeights('port number', ['configure', 'port']);
    // Assess
    expect(Object.fromEntries(weights)).toEqual({ configur: 0.5, port: 1, number: 1 });
  });
});

describe('pickSentences', () => {
  it('ranks a sentence naming the term above a table row that has it only as a column name', () => {
    // Prepare
    const passages = [
      passage(
        'doc',
        '| Port | Host |\n|---|---|\n| 8080 | localhost |\n\nThe port defaults to 8080 on start.',
      ),
    ];
    // Act
    const picked = pickSentences(passages, queryWeights('port', []), 50);
    // Assess
    expect(picked.map((p) => p.rendered)).toEqual([
      'The port defaults to 8080 on start [1].',
      'Port: 8080; Host: localhost [1].',
    ]);
  });

  it('leads with the top passage even when a lower passage shares more words with the question', () => {
    // Prepare: the retriever ranked the paraphrase's real answer first; the fifth passage merely echoes the words.
    const passages = [
      passage('answer', 'Run npm ci in automated environments; it deletes node_modules before installing.'),
      passage('filler-2', 'Nothing here about installs.'),
      passage('filler-3', 'Nothing here either.'),
      passage('filler-4', 'Still nothing.'),
      passage(
        'echo',
        'My pipeline should refuse to touch the lockfile and wipe the dependency folder, people say.',
      ),
    ];
    const question =
      'my pipeline should refuse to touch the lockfile and wipe the dependency folder, what do I run?';
    // Act
    const picked = pickSentences(passages, queryWeights(question, []), 100);
    // Assess
    expect(picked[0]?.passages).toEqual([0]);
    expect(picked.flatMap((p) => p.passages)).toContain(4);
  });

  it("leads with the top document's best sentence when another chunk of it answers better than its top chunk", () => {
    // Prepare: a short list chunk of the page outranks the page's own answer (length normalisation),
    // as "How do I run rag-serving locally?" did with running-locally.md.
    const passages = [
      passage(
        'docs:running-locally.md#2-aaa',
        '- the search index built by npm run ingest\n- the session store',
      ),
      passage('docs:batch.md#0-bbb', 'Batch files are answered line by line.'),
      passage(
        'docs:running-locally.md#0-ccc',
        'To run rag-serving locally, install it with npm install and start it with npm start.',
      ),
    ];
    // Act
    const picked = pickSentences(passages, queryWeights('How do I run rag-serving locally?', []), 100);
    // Assess: the page's answer leads, and its top chunk is still quoted (never dropped).
    expect(picked[0]?.rendered).toMatch(/^To run rag-serving locally/);
    expect(picked[0]?.passages).toEqual([2]);
    expect(picked.flatMap((p) => p.passages)).toContain(0);
  });

  it('quotes every retrieved passage that has a matching sentence, in rank order after the lead', () => {
    // Prepare
    const passages = [
      passage('a', 'Sessions expire after thirty days.'),
      passage('b', 'Expired sessions are deleted by a background process.'),
      passage('c', 'The session table has a TTL attribute.'),
    ];
    // Act
    const picked = pickSentences(passages, queryWeights('when do sessions expire', []), 100);
    // Assess
    expect(new Set(picked.flatMap((p) => p.passages))).toEqual(new Set([0, 1, 2]));
  });

  it('cites a passage that repeats a chosen sentence on that sentence instead of saying it twice', () => {
    // Prepare
    const passages = [
      passage('config', 'The cache defaults to ~/.npm on Posix and %LocalAppData%/npm-cache on Windows.'),
      passage(
        'folders',
        'Cache files are stored in ~/.npm on Posix, or %LocalAppData%/npm-cache on Windows.',
      ),
    ];
    // Act
    const picked = pickSentences(passages, queryWeights('where is the cache on Windows', []), 100);
    // Assess
    expect(picked).toEqual([
      {
        passages: [0, 1],
        rendered: 'The cache defaults to ~/.npm on Posix and %LocalAppData%/npm-cache on Windows [1][2].',
      },
    ]);
  });

  it('never answers with a JSON example or a code line', () => {
    // Prepare
    const passages = [
      passage(
        'example',
        'Send {"inputs": {"query": ["How long are sessions kept?"], "session_id": [null]}} to try it.',
      ),
      passage('prose', 'Sessions are kept for thirty days after their last turn.'),
    ];
    // Act
    const picked = pickSentences(passages, queryWeights('How long are sessions kept?', []), 80);
    // Assess
    expect(picked.map((p) => p.passages)).toEqual([[1]]);
  });

  it('credits a sentence whose section heading names the question terms', () => {
    // Prepare
    const titled = (id: string, title: string, text: string): RetrievedChunk => ({
      ...passage(id, text),
      title,
    });
    const passages = [
      titled('top', 'Overview', 'Running it needs Node.js.'),
      titled('other', 'Deployment › Stages', 'Each stage sets its port in the stage config.'),
      titled('local', 'Running locally › Port', 'Set PORT before npm start to change the port.'),
    ];
    // Act
    const picked = pickSentences(passages, queryWeights('port when running locally', []), 80);
    // Assess: after the top passage's lead, the titled sentence comes before the untitled one.
    expect(picked.map((p) => p.passages[0])).toEqual([0, 2, 1]);
  });

  it('picks nothing when no sentence shares a term with the question', () => {
    // Act
    const picked = pickSentences(
      [passage('prose', 'The port defaults to 8080.')],
      queryWeights('alarms', []),
      50,
    );
    // Assess
    expect(picked).toEqual([]);
  });
});
