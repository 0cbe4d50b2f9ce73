import { describe, expect, it } from 'vitest';
import { contentWords, terms } from '../../src/adapters/local/extractive/terms.js';

describe('terms', () => {
  it('counts the forms of one word as one term', () => {
    // Act
    const found = terms('configure configured configuration CONFIGURES');
    // Assess
    expect(found.size).toBe(1);
  });

  it('drops the words that only frame a question', () => {
    // Act
    const found = terms('Please tell me more about it');
    // Assess
    expect(found.size).toBe(0);
  });
});

describe('contentWords', () => {
  it('keeps the words with content as they were written', () => {
    // Act
    const words = contentWords('Tell me more about RAG_DATA_DIR, please!');
    // Assess
    expect(words).toEqual(['RAG_DATA_DIR']);
  });
});
