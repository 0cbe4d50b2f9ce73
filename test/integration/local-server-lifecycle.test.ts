import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/local-server.js';

const running: TestServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rag-serving-lifecycle-'));
  dirs.push(dir);
  return dir;
}

describe('local server lifecycle', () => {
  it('ingests the sample corpus on first start only, and keeps sessions across a restart', async () => {
    // Prepare
    const dataDir = await freshDir();
    const first = await startTestServer({ dataDir, inMemorySessions: false, token: undefined });
    const token = first.token.token;
    await fetch(first.invocationsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        dataframe_records: [{ query: 'How are sessions stored in DynamoDB?', session_id: 'kept' }],
      }),
    });
    await first.stop();
    // Act
    const second = await startTestServer({ dataDir, inMemorySessions: false, token: undefined });
    running.push(second);
    const response = await fetch(second.invocationsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        dataframe_records: [{ query: 'How long do they live?', session_id: 'kept' }],
        params: { return_trace: true },
      }),
    });
    // Assess
    expect(first.firstStartIngest?.chunksWritten).toBeGreaterThan(20);
    expect(first.token.origin).toBe('generated');
    expect(second.firstStartIngest).toBeUndefined();
    expect(second.token).toEqual({ token, origin: 'token file' });
    expect(((await stat(join(dataDir, 'token'))).mode & 0o777).toString(8)).toBe('600');
    expect(response.status).toBe(200);
    const [prediction] = (
      (await response.json()) as { predictions: { trace: { retrieval_question: string } }[] }
    ).predictions;
    expect(prediction!.trace.retrieval_question.toLowerCase()).toContain('sessions');
  });

  it('keeps only token hashes on disk', async () => {
    // Prepare
    const dataDir = await freshDir();
    const server = await startTestServer({ dataDir, token: undefined });
    running.push(server);
    // Act
    const { readFile } = await import('node:fs/promises');
    const tokens = await readFile(join(dataDir, 'tokens.json'), 'utf8');
    // Assess
    expect(tokens).not.toContain(server.token.token);
    expect(tokens).toContain('"hash"');
  });

  it('answers 504 DEADLINE_EXCEEDED with Retry-After when the time budget runs out', async () => {
    // Prepare
    const server = await startTestServer({ environment: { RAG_REQUEST_TIMEOUT_MS: '1' } });
    running.push(server);
    // Act
    const response = await server.invoke({
      dataframe_records: [{ query: 'What is a guardrail?', session_id: 'slow' }],
    });
    // Assess
    expect(response.status).toBe(504);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await response.json()) as { error_code: string }).error_code).toBe('DEADLINE_EXCEEDED');
  });

  it('refuses to start on a port that is already taken, naming the port', async () => {
    // Prepare
    const server = await startTestServer();
    running.push(server);
    const port = Number(new URL(server.url).port);
    // Act
    const attempt = startTestServer({ port });
    // Assess
    await expect(attempt).rejects.toThrow(`Port ${port}`);
  });
});
