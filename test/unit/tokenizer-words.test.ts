import { describe, expect, it } from 'vitest';
import { wordsAsWritten } from '../../src/adapters/local/tokenizer.js';

describe('wordsAsWritten', () => {
  it('splits text into the words the tokenizer sees, case and identifiers untouched', () => {
    // Act
    const words = wordsAsWritten('Set RAG_DATA_DIR, then restart x-request-id!');
    // Assess
    expect(words).toEqual(['Set', 'RAG_DATA_DIR', 'then', 'restart', 'x-request-id']);
  });
});
