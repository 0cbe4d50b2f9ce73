import { describe, expect, it } from 'vitest';
import { stem, tokenize } from '../../src/adapters/local/tokenizer.js';

describe('tokenize', () => {
  it('lowercases and splits on punctuation and whitespace', () => {
    // Act
    const terms = tokenize('Hello, World! Ingest/Server');
    // Assess
    expect(terms).toEqual(['hello', 'world', 'ingest', 'server']);
  });

  it('keeps the joined form of camelCase and PascalCase identifiers besides their parts', () => {
    // Act
    const camel = tokenize('sessionId');
    const pascal = tokenize('HTTPServer');
    // Assess
    expect(camel).toEqual(['sessionid', 'session', 'id']);
    expect(pascal).toEqual(['httpserver', 'http', 'server']);
  });

  it('splits snake_case and kebab-case identifiers the same way', () => {
    // Act
    const snake = tokenize('RAG_DATA_DIR');
    const kebab = tokenize('x-request-id');
    // Assess
    expect(snake).toEqual(['ragdatadir', 'rag', 'data', 'dir']);
    expect(kebab).toEqual(['xrequestid', 'request', 'id']);
  });

  it('lets "session id" and "session_id" share terms', () => {
    // Act
    const spoken = new Set(tokenize('session id'));
    const written = tokenize('session_id');
    // Assess
    expect(written.filter((term) => spoken.has(term))).toEqual(['session', 'id']);
  });

  it('drops stopwords and one-character terms', () => {
    // Act
    const terms = tokenize('What is the port of a server and how do I change it?');
    // Assess
    expect(terms).toEqual(['port', 'server', 'change']);
  });

  it('keeps numbers and words of other scripts', () => {
    // Act
    const terms = tokenize('Node 20 naïve 日本語');
    // Assess
    expect(terms).toEqual(['node', '20', 'naïve', '日本語']);
  });

  it('maps plurals onto their singular', () => {
    // Act
    const plural = tokenize('sessions queries indexes ids');
    const singular = tokenize('session query index id');
    // Assess
    expect(plural).toEqual(singular);
  });

  it('returns no terms for text without words', () => {
    // Act & Assess
    expect(tokenize('  --- ... !!! ')).toEqual([]);
  });
});

describe('stem', () => {
  it('leaves words that only look plural alone', () => {
    // Act & Assess
    expect(['status', 'address', 'analysis', 'class'].map(stem)).toEqual([
      'status',
      'address',
      'analysis',
      'class',
    ]);
  });
});
