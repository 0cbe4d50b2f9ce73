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
      passage('table', '| Port | Host |\n|---|---|\n| 8080 | localhost |'),
      passage('prose', 'The port defaults to 8080 on start.'),
    ];
    // Act
    const picked = pickSentences(passages, queryWeights('port', []), 50);
    // Assess
    expect(picked).toEqual([
      { passage: 1, rendered: 'The port defaults to 8080 on start [2].' },
      { passage: 0, rendered: 'Port: 8080; Host: localhost [1].' },
    ]);
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
