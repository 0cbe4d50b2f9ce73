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
    expect(picked.map((p) => p.passage)).toEqual([1]);
  });

  it('credits a sentence whose section heading names the question terms', () => {
    // Prepare
    const titled = (id: string, title: string, text: string): RetrievedChunk => ({
      ...passage(id, text),
      title,
    });
    const passages = [
      titled('other', 'Deployment › Stages', 'Each stage has its own port setting.'),
      titled('local', 'Running locally › Port', 'Each stage has its own port setting here.'),
    ];
    // Act
    const picked = pickSentences(passages, queryWeights('port when running locally', []), 80);
    // Assess
    expect(picked[0]!.passage).toBe(1);
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
