import { describe, expect, it } from 'vitest';
import { RagPipeline, WITHHELD_QUERY } from '../../src/core/pipeline.js';
import { PermissionDeniedError } from '../../src/core/errors.js';
import { defaultParams } from '../../src/core/protocol/params.js';
import type { Turn } from '../../src/core/ports/types.js';
import { recordingPorts } from '../fakes/recording-ports.js';

const earlier: Turn = {
  sessionId: 's',
  query: 'How long do sessions live?',
  response: 'Thirty days.',
  sources: [],
  createdAt: 1,
};

describe('Class: RagPipeline', () => {
  it('starts the history read, the input check and the embedding at once', async () => {
    // Prepare
    const ports = recordingPorts({ delays: { recent: 40, embed: 40, check: 40, claim: 40 } });
    // Act
    await new RagPipeline(ports).answer({
      query: 'What about TTL?',
      sessionId: 's',
      principal: 'p',
      params: defaultParams,
    });
    // Assess
    const started = (port: string) => ports.calls.find((c) => c.port === port)!.startedAt;
    const firstEnd = Math.min(...ports.calls.map((c) => c.endedAt));
    for (const port of ['recent', 'embed', 'check', 'claim']) expect(started(port)).toBeLessThan(firstEnd);
  });

  it('never reads history for a new session', async () => {
    // Prepare
    const ports = recordingPorts();
    // Act
    const answer = await new RagPipeline(ports).answer({
      query: 'What is TTL?',
      principal: 'p',
      params: defaultParams,
    });
    // Assess
    expect(ports.calls.map((c) => c.port)).not.toContain('recent');
    expect(answer.sessionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('condenses a follow-up and embeds the condensed question', async () => {
    // Prepare
    const ports = recordingPorts({ history: [earlier] });
    // Act
    const answer = await new RagPipeline(ports).answer({
      query: 'And after that?',
      sessionId: 's',
      principal: 'p',
      params: defaultParams,
    });
    // Assess
    expect(answer.trace.retrievalQuestion).toBe('How long do sessions live? And after that?');
    expect(ports.calls.filter((c) => c.port === 'embed')).toHaveLength(2);
    expect(answer.usage).toEqual({ inputTokens: 13, outputTokens: 5 });
  });

  it('renumbers citations so [n] is the n-th listed source', async () => {
    // Prepare
    const chunk = (id: string) => ({
      id,
      text: id,
      title: id,
      location: `docs/${id}`,
      metadata: {},
      score: 1,
    });
    const ports = recordingPorts({ chunks: [chunk('a'), chunk('b'), chunk('c')] });
    // Act
    const answer = await new RagPipeline(ports).answer({ query: 'q', principal: 'p', params: defaultParams });
    // Assess
    expect(answer.response).toBe('Answer [1].');
    expect(answer.sources.map((s) => s.id)).toEqual(['c']);
  });

  it('refuses a session that belongs to another principal and stores nothing', async () => {
    // Prepare
    const ports = recordingPorts({ owner: 'someone-else' });
    // Act
    const attempt = new RagPipeline(ports).answer({
      query: 'q',
      sessionId: 's',
      principal: 'p',
      params: defaultParams,
    });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(ports.appended).toHaveLength(0);
  });

  it('answers a blocked question with the guardrail message and never stores the question', async () => {
    // Prepare
    const ports = recordingPorts();
    const blocking = {
      ...ports,
      guardrail: {
        check: async () => ({
          action: 'INTERVENED' as const,
          output: 'Sorry.',
          assessments: [{ policy: 'sensitiveInformationPolicy', type: 'EMAIL', action: 'BLOCKED' as const }],
        }),
      },
    };
    // Act
    const answer = await new RagPipeline(blocking).answer({
      query: 'mail me at a@b.example',
      principal: 'p',
      params: defaultParams,
    });
    // Assess
    expect(answer.response).toBe('Sorry.');
    expect(answer.guardrail.action).toBe('INTERVENED');
    expect(ports.calls.map((c) => c.port)).not.toContain('generate');
    expect(ports.appended[0]!.query).toBe(WITHHELD_QUERY);
  });

  it('stores the turn before it answers', async () => {
    // Prepare
    const ports = recordingPorts({ delays: { append: 30 } });
    // Act
    await new RagPipeline(ports).answer({ query: 'q', principal: 'p', params: defaultParams });
    // Assess
    expect(ports.appended).toHaveLength(1);
  });
});
