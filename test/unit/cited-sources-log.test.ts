import type { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { RagPipeline } from '../../src/core/pipeline.js';
import type { RetrievedChunk } from '../../src/core/ports/types.js';
import type { LambdaContext, ProxyEvent } from '../../src/http/types.js';
import { ServingMetrics } from '../../src/observability/serving-metrics.js';
import { invocationsRoute } from '../../src/routes/invocations.js';
import { CITED_SOURCES_LOG } from '../../src/shared/logs.js';
import { INVOCATIONS_RESOURCE } from '../../src/shared/routes.js';
import { recordingPorts } from '../fakes/recording-ports.js';

const chunk = (id: string, location: string, text: string): RetrievedChunk => ({
  id,
  location,
  text,
  title: id,
  metadata: {},
  score: 1,
});

function invocationEvent(body: unknown): ProxyEvent {
  return {
    httpMethod: 'POST',
    resource: INVOCATIONS_RESOURCE,
    path: '/serving-endpoints/rag/invocations',
    pathParameters: { name: 'rag' },
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', authorizer: { principalId: 'alice', scopes: 'invoke' } },
  } as unknown as ProxyEvent;
}

describe('Route: invocations, cited-sources log line', () => {
  it('logs the cited source names once per prediction, and no query, answer or chunk text', async () => {
    // Prepare
    const logged: { message: string; extra: Record<string, unknown> }[] = [];
    const ports = recordingPorts({
      // The fake generator cites the last passage only: the line must name cited, not retrieved, sources.
      chunks: [
        chunk('c1', 'docs/retrieved-only.md', 'Retrieved but not cited.'),
        chunk('c2', 'docs/sessions.md', 'Sessions live for thirty days.'),
      ],
    });
    const route = invocationsRoute({
      pipeline: new RagPipeline(ports),
      endpointName: 'rag',
      metrics: new ServingMetrics(),
      requestTimeoutMs: 5_000,
      streamFirstByteMs: 5_000,
      streamTimeoutMs: 5_000,
      batchConcurrency: 2,
      logger: {
        info: (message: string, extra: Record<string, unknown>) => void logged.push({ message, extra }),
        warn: () => undefined,
        error: () => undefined,
      } as unknown as Pick<Logger, 'info' | 'warn' | 'error'>,
    });
    const body = {
      dataframe_records: [{ query: 'private question one' }, { query: 'private question two' }],
    };

    // Act
    const response = await route(invocationEvent(body), {
      getRemainingTimeInMillis: () => 10_000,
    } as LambdaContext);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(logged).toEqual([
      {
        message: CITED_SOURCES_LOG.message,
        extra: { [CITED_SOURCES_LOG.field]: ['docs/sessions.md', 'docs/sessions.md'] },
      },
    ]);
    expect(JSON.stringify(logged)).not.toMatch(/private question|thirty days|Answer/);
  });
});
