import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSecretsManager {
  readonly endpoint: string;
  /** SecretIds asked for, in order. */
  readonly reads: string[];
  /** Sets (or replaces) a secret's string; absent secrets answer ResourceNotFoundException. */
  put(secretId: string, value: string): void;
  /** Answer the next N reads with 500 InternalServiceError. */
  fail(times: number): void;
  close(): Promise<void>;
}

/** A fake Secrets Manager (JSON 1.1 protocol) that serves GetSecretValue from memory. */
export async function startFakeSecretsManager(): Promise<FakeSecretsManager> {
  const secrets = new Map<string, string>();
  const reads: string[] = [];
  let failures = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const { SecretId } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId: string };
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (target !== 'secretsmanager.GetSecretValue')
        return answer(400, { __type: 'UnknownOperationException' });
      reads.push(SecretId);
      if (failures > 0) {
        failures--;
        return answer(500, { __type: 'InternalServiceError', message: 'fault injected by the fake' });
      }
      const value = secrets.get(SecretId);
      if (value === undefined) {
        return answer(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
      }
      return answer(200, {
        ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${SecretId}`,
        Name: SecretId,
        SecretString: value,
        VersionId: 'v1',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    reads,
    put: (secretId, value) => void secrets.set(secretId, value),
    fail: (times) => {
      failures = times;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
