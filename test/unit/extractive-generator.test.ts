import { describe, expect, it } from 'vitest';
import { ExtractiveGenerator, NOT_FOUND } from '../../src/adapters/local/extractive-generator.js';
import type { GenerateOptions } from '../../src/core/ports/generator.js';
import type { RetrievedChunk, Turn } from '../../src/core/ports/types.js';

const passage = (id: string, text: string, score = 1): RetrievedChunk => ({
  id,
  text,
  title: id,
  location: `corpus/${id}.md`,
  metadata: {},
  score,
});

const turn = (query: string, createdAt = 1): Turn => ({
  sessionId: 's-1',
  query,
  response: 'An earlier answer.',
  sources: [],
  createdAt,
});

const ask = (question: string, passages: readonly RetrievedChunk[], extra: Partial<GenerateOptions> = {}) =>
  new ExtractiveGenerator().generate({ question, passages, history: [], params: {}, ...extra });

const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;

const PORT = passage(
  'port',
  [
    '# Server port',
    '',
    'The local server listens on port 8080 by default.',
    'Set the PORT environment variable to change the port.',
    'The server logs every request it serves.',
  ].join('\n'),
);
const TOKENS = passage(
  'tokens',
  'Bearer tokens are stored as salted hashes. A new token is generated on first start when RAG_TOKEN is unset.',
);
const CHUNKING = passage(
  'chunking',
  'Documents are cut into chunks of roughly 300 to 500 words with some overlap.',
);

describe('Class: ExtractiveGenerator', () => {
  describe('generate', () => {
    it('answers with the sentences that cover the question, best first', async () => {
      // Act
      const result = await ask('How do I change the port?', [PORT]);
      // Assess
      expect(result.text.startsWith('Set the PORT environment variable to change the port [1].')).toBe(true);
      expect(result.text).toContain('listens on port 8080');
      expect(result.text).not.toContain('logs every request');
    });

    it('cites only the passages it used, by their position in the list', async () => {
      // Act
      const result = await ask('How do I change the port?', [TOKENS, CHUNKING, PORT]);
      // Assess
      expect(result.citations).toEqual([3]);
      expect(result.text).toMatch(/\[3\]/);
      expect(result.text).not.toMatch(/\[[12]\]/);
    });

    it('numbers each sentence after the passage it came from', async () => {
      // Prepare
      const passages = [
        passage('a', 'The token is hashed with a random salt before it is stored.'),
        passage('b', 'Chunks overlap a little between neighbours.'),
        passage('c', 'The port defaults to 8080 unless PORT is set.'),
      ];
      // Act
      const result = await ask('Which port and token does the server use?', passages);
      // Assess
      expect(result.citations).toEqual([1, 3]);
      expect(result.text).toContain('The token is hashed with a random salt before it is stored [1].');
      expect(result.text).toContain('The port defaults to 8080 unless PORT is set [3].');
    });

    it('says a sentence repeated by overlapping chunks once, citing every chunk that states it', async () => {
      // Prepare
      const sentence = 'Set the PORT environment variable to change the port.';
      const passages = [passage('a', sentence), passage('b', `${sentence} Restart the server afterwards.`)];
      // Act
      const result = await ask('How do I change the port?', passages);
      // Assess
      expect(result.text.match(/environment variable/g)).toHaveLength(1);
      expect(result.text).toContain('change the port [1][2].');
      expect(result.citations).toEqual([1, 2]);
    });

    it('skips a near-repeat of a sentence it already picked', async () => {
      // Prepare
      const passages = [
        passage('a', 'Change the server port with the PORT environment variable.'),
        passage('b', 'The PORT environment variable changes the server port. Port 8080 is the default port.'),
      ];
      // Act
      const result = await ask('How do I change the server port?', passages);
      // Assess
      expect(result.text).toBe(
        'Change the server port with the PORT environment variable [1][2]. Port 8080 is the default port [2].',
      );
    });

    it('says the documents do not cover a question that shares no term with them', async () => {
      // Act
      const result = await ask('Who won the football world cup?', [PORT, TOKENS]);
      // Assess
      expect(result.text).toBe(NOT_FOUND);
      expect(result.citations).toEqual([]);
    });

    it('says so as well when nothing was retrieved', async () => {
      // Act
      const result = await ask('How do I change the port?', []);
      // Assess
      expect(result).toEqual({
        text: NOT_FOUND,
        citations: [],
        usage: { inputTokens: 6, outputTokens: words(NOT_FOUND) },
      });
    });

    it('keeps the answer within max_tokens, counted as words', async () => {
      // Prepare
      const long = Array.from(
        { length: 12 },
        (_, i) => `Retry number ${i + 1} of the ingestion job waits ${i + 1} seconds before it tries again.`,
      ).join(' ');
      // Act
      const result = await ask(
        'How long does the ingestion job wait between retries?',
        [passage('retries', long)],
        {
          params: { maxTokens: 30 },
        },
      );
      // Assess
      expect(words(result.text)).toBeLessThanOrEqual(30);
      expect(result.usage.outputTokens).toBe(words(result.text));
      expect(result.text).toContain('[1]');
    });

    it('uses at most six sentences and about 150 words by default', async () => {
      // Prepare
      const subjects = 'markdown html text folders links archives tables lists images footnotes'.split(' ');
      const many = subjects.map((subject, i) => passage(`p${i}`, `Ingestion reads ${subject} too.`));
      // Act
      const result = await ask('What does ingestion read?', many);
      // Assess
      expect(result.text.match(/\[\d+\]/g)).toHaveLength(6);
      expect(result.citations).toEqual([1, 2, 3, 4, 5, 6]);
      expect(words(result.text)).toBeLessThanOrEqual(150);
    });

    it('cuts a single sentence that is longer than the budget', async () => {
      // Prepare
      const text = `The port ${'and the port again '.repeat(30)}ends here.`;
      // Act
      const result = await ask('Which port?', [passage('long', text)], { params: { maxTokens: 10 } });
      // Assess
      expect(words(result.text)).toBeLessThanOrEqual(10);
      expect(result.text).toMatch(/… \[1\]$/);
      expect(result.citations).toEqual([1]);
    });

    it('splits markdown into clean sentences: bullets, tables, code and abbreviations', async () => {
      // Prepare
      const markdown = [
        '## Cache settings',
        '',
        'Use a cache, e.g. Redis, for hot keys. The cache module lives in `src/cache.ts`. See below.',
        '',
        '- **Eviction** of the cache uses LRU.',
        '* Cache entries expire after 5 min. by default',
        '',
        '```bash',
        'CACHE_SIZE=100 npm start # cache size',
        '```',
        '',
        '| Setting | Default |',
        '|---------|---------|',
        '| `CACHE_SIZE` | 100 entries in the cache |',
      ].join('\n');
      // Act
      const result = await ask('cache', [passage('cache', markdown)], { params: { maxTokens: 200 } });
      // Assess
      expect(result.text).toContain('Use a cache, e.g. Redis, for hot keys [1].');
      expect(result.text).toContain('The cache module lives in src/cache.ts [1].');
      expect(result.text).toContain('Eviction of the cache uses LRU [1].');
      expect(result.text).toContain('Setting: CACHE_SIZE; Default: 100 entries in the cache [1].');
      expect(result.text).not.toMatch(/[#`*]|\| |npm start|Cache settings/);
    });

    it('answers a follow-up from the subject of the previous question', async () => {
      // Prepare
      const history = [turn('How do I configure the port?')];
      // Act
      const result = await ask('Tell me more about that.', [TOKENS, PORT], { history });
      // Assess
      expect(result.citations).toEqual([2]);
      expect(result.text).toContain('PORT environment variable');
    });

    it('reports words as tokens and ignores temperature', async () => {
      // Act
      const cold = await ask('How do I change the port?', [PORT], { params: { temperature: 0 } });
      const hot = await ask('How do I change the port?', [PORT], { params: { temperature: 1 } });
      // Assess
      expect(hot).toEqual(cold);
      expect(cold.usage).toEqual({ inputTokens: 6 + words(PORT.text), outputTokens: words(cold.text) });
    });

    it('stops when the request is aborted', async () => {
      // Act / Assess
      await expect(ask('port?', [PORT], { abortSignal: AbortSignal.abort() })).rejects.toThrow();
    });
  });

  describe('condense', () => {
    const condense = (question: string, history: readonly Turn[]) =>
      new ExtractiveGenerator().condense({ question, history });

    it('returns a first question unchanged', async () => {
      // Act
      const result = await condense('Tell me more about that.', []);
      // Assess
      expect(result).toEqual({
        question: 'Tell me more about that.',
        usage: { inputTokens: 0, outputTokens: 0 },
      });
    });

    it('prepends the previous question’s terms to a follow-up', async () => {
      // Act
      const result = await condense('Tell me more about that.', [turn('How do I configure the port?')]);
      // Assess
      expect(result.question).toBe('configure port — Tell me more about that.');
      expect(result.usage).toEqual({ inputTokens: 11, outputTokens: 8 });
    });

    it.each(['What about the timeout?', 'And in prod?', 'Default value?', 'Is it persisted?'])(
      'treats "%s" as a follow-up',
      async (question) => {
        // Act
        const result = await condense(question, [turn('Where are sessions stored?')]);
        // Assess
        expect(result.question).toBe(`sessions stored — ${question}`);
      },
    );

    it('carries terms from the last two questions only, without repeating the current ones', async () => {
      // Prepare
      const history = [
        turn('Explain chunking overlap', 1),
        turn('How does ingestion work?', 2),
        turn('And the index file?', 3),
      ];
      // Act
      const result = await condense('Where is it written?', history);
      // Assess
      expect(result.question).toBe('ingestion work index file — Where is it written?');
    });

    it('returns a standalone question unchanged', async () => {
      // Prepare
      const question = 'How do I rotate the bearer token of the local server?';
      // Act
      const result = await condense(question, [turn('How do I configure the port?')]);
      // Assess
      expect(result.question).toBe(question);
    });

    it('does not read "is there" as pointing back', async () => {
      // Prepare
      const question = 'Is there a limit on request body size for invocations?';
      // Act
      const result = await condense(question, [turn('How do I configure the port?')]);
      // Assess
      expect(result.question).toBe(question);
    });
  });
});
