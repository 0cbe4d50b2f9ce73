import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';

/** What an invoked function produced: its payload, or a failure (`FunctionError: Unhandled`). */
export interface FakeInvocationResult {
  readonly payload: Buffer;
  readonly functionError?: string;
}

export interface FakeLambdaOptions {
  /** Runs an Invoke; by default every invoke answers `null`. */
  readonly invoke?: (functionName: string, event: unknown) => Promise<FakeInvocationResult>;
  /** GetAccountSettings' AccountLimit. */
  readonly accountLimit?: {
    readonly ConcurrentExecutions: number;
    readonly UnreservedConcurrentExecutions: number;
  };
}

export interface FakeLambda {
  readonly endpoint: string;
  /** Function names (ARNs) invoked, in order. */
  readonly invocations: { readonly functionName: string; readonly event: unknown }[];
  /** Changes what GetAccountSettings answers, e.g. after a quota increase. */
  setAccountLimit(limit: NonNullable<FakeLambdaOptions['accountLimit']>): void;
  close(): Promise<void>;
}

/**
 * A fake Lambda API (REST-JSON) on 127.0.0.1: Invoke, running what the test gives it, and
 * GetAccountSettings, which moto_server does not answer.
 */
export async function startFakeLambda(options: FakeLambdaOptions = {}): Promise<FakeLambda> {
  const invocations: FakeLambda['invocations'] = [];
  let limit = options.accountLimit ?? { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
      if (req.method === 'POST' && invoke) {
        const functionName = decodeURIComponent(invoke[1]!);
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as unknown;
        invocations.push({ functionName, event });
        const run =
          options.invoke ?? (async (): Promise<FakeInvocationResult> => ({ payload: Buffer.from('null') }));
        run(functionName, event).then(
          ({ payload, functionError }) => {
            res.writeHead(200, {
              'content-type': 'application/json',
              'x-amz-executed-version': '1',
              ...(functionError && { 'x-amz-function-error': functionError }),
            });
            res.end(payload);
          },
          (error: unknown) => {
            res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
            res.end(JSON.stringify({ errorType: 'Error', errorMessage: String(error) }));
          },
        );
        return;
      }
      if (req.method === 'GET' && url.pathname.startsWith('/2016-08-19/account-settings')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            AccountLimit: {
              TotalCodeSize: 80530636800,
              CodeSizeUnzipped: 262144000,
              CodeSizeZipped: 52428800,
              ...limit,
            },
            AccountUsage: { TotalCodeSize: 0, FunctionCount: 0 },
          }),
        );
        return;
      }
      res.writeHead(404, {
        'x-amzn-errortype': 'ResourceNotFoundException',
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ Type: 'User', message: `no route ${req.method} ${url.pathname}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invocations,
    setAccountLimit: (next) => {
      limit = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The response stream Lambda gives a streaming function, as bytes: `HttpResponseStream.from` writes
 * a JSON prelude (status, headers) and eight NUL bytes before the body, which is what a buffered
 * Invoke of such a function returns.
 */
export class RecordedLambdaResponse extends Writable {
  private readonly chunks: Buffer[] = [];

  setPrelude(prelude: { statusCode?: number; headers?: Record<string, string> }): void {
    this.chunks.push(Buffer.from(JSON.stringify(prelude)), Buffer.alloc(8));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    callback();
  }

  get payload(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
