import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalGateway, type StreamingHandler } from '../../src/local/local-gateway.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('local gateway: a client that hangs up', () => {
  it('keeps serving when the client leaves before the handler has started its answer', async () => {
    // Prepare: the first call answers only when the test says so, as a pipeline waiting on its
    // backends does; the handler reports when its stream closed and when it has returned.
    let calls = 0;
    const reported: unknown[] = [];
    let answerFirst!: () => void;
    const firstMayAnswer = new Promise<void>((resolve) => (answerFirst = resolve));
    let firstStreamClosed!: () => void;
    const streamClosed = new Promise<void>((resolve) => (firstStreamClosed = resolve));
    let firstReturned!: () => void;
    const handlerReturned = new Promise<void>((resolve) => (firstReturned = resolve));
    let firstStarted!: () => void;
    const handlerStarted = new Promise<void>((resolve) => (firstStarted = resolve));
    const handler: StreamingHandler = async (_event, stream) => {
      calls++;
      if (calls === 1) {
        stream.once('close', firstStreamClosed);
        firstStarted();
        await firstMayAnswer;
        stream.end('pong');
        firstReturned();
        return;
      }
      stream.end('pong');
    };
    const base = await listen(
      createLocalGateway({
        handler,
        authorizer: async () => {
          throw new Error('no route here needs a token');
        },
        onError: (error) => reported.push(error),
      }),
    );
    // Act: hang up on the waiting call once the handler runs, let it answer into the closed
    // stream once the gateway saw the hang-up, then ask again.
    const hangUp = new AbortController();
    const abandoned = fetch(`${base}/ping`, { signal: hangUp.signal }).catch((error: unknown) => error);
    await handlerStarted;
    hangUp.abort();
    await abandoned;
    await streamClosed;
    answerFirst();
    await handlerReturned;
    const answer = await fetch(`${base}/ping`);
    // Assess
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('pong');
    expect(reported).toEqual([]);
  });
});
