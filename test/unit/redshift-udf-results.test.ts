import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, InvalidParameterError } from '../../src/core/errors.js';
import type { WirePrediction } from '../../src/core/protocol/response.js';
import {
  batchResults,
  predictionVarchar,
  REDSHIFT_VARCHAR_MAX_BYTES,
  type RowOutcome,
} from '../../src/redshift/answer-rows.js';

const prediction = (passageChars: number): WirePrediction => ({
  response: 'An answer [1] [2].',
  session_id: 's1',
  sources: [1, 2].map((n) => ({
    id: `docs:a.md#${n}`,
    source: 'docs/a.md',
    score: 1 / n,
    text: 'é'.repeat(passageChars),
  })),
  usage: { input_tokens: 10, output_tokens: 5 },
  guardrail: { action: 'NONE' },
});

describe('Function: predictionVarchar', () => {
  it('keeps a prediction that fits VARCHAR(MAX) whole', () => {
    const small = prediction(100);
    expect(JSON.parse(predictionVarchar(small))).toEqual(small);
  });

  it('drops the passage text of the sources, and nothing else, when the JSON would exceed 65,535 bytes', () => {
    // Prepare: two-byte characters, so that characters and bytes differ.
    const large = prediction(20_000);

    // Act
    const varchar = predictionVarchar(large);

    // Assess
    expect(Buffer.byteLength(varchar)).toBeLessThanOrEqual(REDSHIFT_VARCHAR_MAX_BYTES);
    const parsed = JSON.parse(varchar) as WirePrediction;
    expect(parsed.sources.map((s) => [s.id, s.source, s.score, s.text])).toEqual([
      ['docs:a.md#1', 'docs/a.md', 1, ''],
      ['docs:a.md#2', 'docs/a.md', 0.5, ''],
    ]);
    expect({ ...parsed, sources: [] }).toEqual({ ...large, sources: [] });
  });
});

describe('Function: batchResults', () => {
  const down: RowOutcome = { kind: 'failed', error: new BackendUnavailableError('Bedrock') };
  const tooLong: RowOutcome = { kind: 'failed', error: new InvalidParameterError('too long') };
  const answered: RowOutcome = { kind: 'answered', result: '{"response":"x"}' };

  it('fails the batch only when every row failed for one cause', () => {
    expect(batchResults([down, down])).toEqual({
      ok: false,
      errorMessage: 'TEMPORARILY_UNAVAILABLE: Bedrock is temporarily unavailable; retry later.',
    });
    expect(batchResults([down, tooLong])).toMatchObject({ ok: true });
    expect(batchResults([down, { kind: 'null' }])).toEqual({
      ok: true,
      results: [
        '{"error_code":"TEMPORARILY_UNAVAILABLE","message":"Bedrock is temporarily unavailable; retry later."}',
        null,
      ],
    });
    expect(batchResults([answered, down])).toMatchObject({ ok: true });
  });

  it('answers an empty batch with an empty result list', () => {
    expect(batchResults([])).toEqual({ ok: true, results: [] });
  });
});
