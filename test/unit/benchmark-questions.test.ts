import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizedText } from '../../bench/support/answer-scoring.js';
import { NPM_DOCS, SAMPLE, type Corpus } from '../../bench/support/corpora.js';

/**
 * The gold data of the answer benchmark: a question whose key fact its documents do not state
 * outside code (which the extractive generator never quotes) would be a miss by construction.
 */

/** A document's prose: fenced and <pre> code removed, HTML tags and entities resolved. */
function prose(text: string): string {
  return normalizedText(
    text
      .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1\s*$/gm, ' ')
      .replace(/<pre>[\s\S]*?<\/pre>/g, ' ')
      .replace(/<\/?(?:p|li|ul|ol|code|em|strong|h\d|a|table|tr|td|th|div|span|b|i)\b[^>]*>/g, ' ')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&'),
  );
}

async function checkKeyFacts(corpus: Corpus): Promise<string[]> {
  const problems: string[] = [];
  for (const question of await corpus.questions()) {
    const texts = await Promise.all(
      question.accepted.map((path) => readFile(join(corpus.dir, path), 'utf8')),
    );
    if (!texts.some((text) => prose(text).includes(normalizedText(question.keyFact)))) {
      problems.push(
        `${question.id}: '${question.keyFact}' is not in the prose of ${question.accepted.join(', ')}`,
      );
    }
  }
  return problems;
}

describe('answer benchmark questions', () => {
  it('has at least 100 npm docs questions, half of them paraphrases, some follow-ups, split half and half', async () => {
    const questions = await NPM_DOCS.questions();
    const count = (test: (q: (typeof questions)[number]) => boolean) => questions.filter(test).length;
    expect(questions.length).toBeGreaterThanOrEqual(100);
    expect(count((q) => q.kind === 'paraphrase')).toBeGreaterThanOrEqual(questions.length / 2);
    expect(count((q) => q.kind === 'follow-up')).toBeGreaterThanOrEqual(10);
    expect(count((q) => q.kind === 'follow-up' && q.previous === undefined)).toBe(0);
    expect(
      Math.abs(count((q) => q.split === 'dev') - count((q) => q.split === 'held-out')),
    ).toBeLessThanOrEqual(1);
    expect(new Set(questions.map((q) => q.id)).size).toBe(questions.length);
  });

  it.each([NPM_DOCS, SAMPLE])(
    'states every key fact of $name in the prose of an accepted document',
    async (corpus) => {
      expect(await checkKeyFacts(corpus)).toEqual([]);
    },
  );
});
