import { describe, expect, it } from 'vitest';
import { rewriteFollowUp } from '../../src/adapters/local/extractive/condense.js';
import type { Turn } from '../../src/core/ports/types.js';

const turn = (query: string): Turn => ({
  sessionId: 's-1',
  query,
  response: 'An answer.',
  sources: [],
  createdAt: 1,
});

describe('rewriteFollowUp', () => {
  it('leaves a question without history as it is', () => {
    // Act
    const rewrite = rewriteFollowUp('and that?', []);
    // Assess
    expect(rewrite).toEqual({ question: 'and that?', contextTerms: [], turnsUsed: [] });
  });

  it('carries at most eight words from the last two questions, the newest ones first to be kept', () => {
    // Prepare
    const history = [
      turn('alpha bravo charlie'),
      turn('delta echo foxtrot golf hotel india juliet kilo'),
      turn('lima mike'),
    ];
    // Act
    const rewrite = rewriteFollowUp('and that?', history);
    // Assess
    expect(rewrite.contextTerms).toEqual([
      'delta',
      'echo',
      'foxtrot',
      'golf',
      'hotel',
      'india',
      'lima',
      'mike',
    ]);
    expect(rewrite.question).toBe('delta echo foxtrot golf hotel india lima mike — and that?');
    expect(rewrite.turnsUsed.map((t) => t.query)).toEqual([history[1]?.query, history[2]?.query]);
  });
});
