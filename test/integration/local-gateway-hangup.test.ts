import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
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
    // Prepare: the first call is slow to answer, as a pipeline waiting on its backends is.
    let calls = 0;
    const reported: unknown[] = [];
    const handler: StreamingHandler = async (_event, stream) => {
      calls++;
      if (calls === 1) await sleep(300);
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
    // Act: hang up on the slow call, then ask again.
    const abandoned = fetch(`${base}/ping`, { signal: AbortSignal.timeout(50) }).catch(
      (error: unknown) => error,
    );
    await abandoned;
    await sleep(400);
    const answer = await fetch(`${base}/ping`);
    // Assess
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('pong');
    expect(reported).toEqual([]);
  });
});
