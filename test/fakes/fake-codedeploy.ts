import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HookStatusReport {
  readonly deploymentId: string;
  readonly lifecycleEventHookExecutionId: string;
  readonly status: string;
}

export interface FakeCodeDeploy {
  readonly endpoint: string;
  /** PutLifecycleEventHookExecutionStatus calls, in order. */
  readonly reports: HookStatusReport[];
  close(): Promise<void>;
}

/** A fake CodeDeploy (JSON 1.1) that records the lifecycle hook statuses reported to it. */
export async function startFakeCodeDeploy(): Promise<FakeCodeDeploy> {
  const reports: HookStatusReport[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target !== 'CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus') {
        res.writeHead(400);
        res.end(JSON.stringify({ __type: 'UnknownOperationException' }));
        return;
      }
      reports.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as HookStatusReport);
      res.writeHead(200);
      res.end(
        JSON.stringify({ lifecycleEventHookExecutionId: reports.at(-1)!.lifecycleEventHookExecutionId }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    reports,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
