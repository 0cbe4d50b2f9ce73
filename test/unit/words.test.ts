import { describe, expect, it } from 'vitest';
import { countWords } from '../../src/text/words.js';

describe('countWords', () => {
  it('counts runs of non-whitespace, whatever whitespace separates them', () => {
    // Act
    const count = countWords('  The port\tdefaults to\n\n8080 (see `PORT`).  ');
    // Assess
    expect(count).toBe(7);
  });

  it('counts nothing in an empty or blank text', () => {
    // Act & Assess
    expect(countWords('')).toBe(0);
    expect(countWords(' \n\t ')).toBe(0);
  });
});
