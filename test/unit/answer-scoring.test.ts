import { describe, expect, it } from 'vitest';
import { goldRank, leadSentences, leadsWithKeyFact, rates } from '../../bench/support/answer-scoring.js';

describe('answer scoring (benchmark)', () => {
  it('ranks the first accepted document within the first five only', () => {
    expect(goldRank(['a', 'b', 'c'], ['c', 'x'])).toBe(3);
    expect(goldRank(['a', 'b', 'c', 'd', 'e', 'gold'], ['gold'])).toBeUndefined();
    expect(goldRank([], ['gold'])).toBeUndefined();
  });

  it('takes the first two sentences of an answer, with citation markers', () => {
    const answer = 'Run npm ci [1]. It removes node_modules first [2]! Then it installs [1]. Done.';
    expect(leadSentences(answer, 2)).toBe('Run npm ci [1]. It removes node_modules first [2]!');
  });

  it('finds a key fact in the lead regardless of case, code ticks and markers, but not in the third sentence', () => {
    expect(leadsWithKeyFact('Use `npm CI` [1]. Nothing else.', 'npm ci')).toBe(true);
    expect(leadsWithKeyFact('A [1]. B [2]. The fact: npm ci [3].', 'npm ci')).toBe(false);
  });

  it('averages recall, reciprocal ranks and shares over the questions', () => {
    const r = rates([
      { retrievedRank: 1, citedRank: 2, keyFactInLead: true, firstCitationGold: false },
      { retrievedRank: undefined, citedRank: undefined, keyFactInLead: false, firstCitationGold: false },
    ]);
    expect(r).toMatchObject({
      questions: 2,
      retrievedRecall: 0.5,
      retrievedMrr: 0.5,
      citedRecall: 0.5,
      citedMrr: 0.25,
      keyFactInLead: 0.5,
      firstCitationGold: 0,
    });
  });
});
