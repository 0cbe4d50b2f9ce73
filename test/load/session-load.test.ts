import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, runSessionLoad } from '../../bench/session-load.js';
import { startTestServer, TEST_TOKEN, type TestServer } from '../support/local-server.js';

/** Modest, so CI stays fast; `npm run bench:sessions` runs the same loop bigger. */
const SESSIONS = 10;
const TURNS = 5;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

describe('Load: concurrent sessions', () => {
  it('stores every turn of every session exactly once and in order, with no 5xx', async () => {
    // Prepare
    const options = {
      baseUrl: server.url,
      token: TEST_TOKEN,
      endpointName: server.endpointName,
      sessions: SESSIONS,
      turnsPerSession: TURNS,
      deadlineMs: 60_000,
      runId: 'ci',
    };

    // Act
    const report = await runSessionLoad(options);
    console.info(formatReport(options, report));

    // Assess
    expect(report.notSent).toBe(0);
    expect(report.requests).toBe(SESSIONS * TURNS);
    expect(report.statusCounts).toEqual({ 200: SESSIONS * TURNS });
    expect(report.serverErrors).toBe(0);
    expect(report.lost).toBe(0);
    expect(report.duplicated).toBe(0);
    expect(report.outOfOrder).toBe(0);
  });
});
