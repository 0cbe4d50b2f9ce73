import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** DynamoDB operations by their X-Amz-Target name, e.g. `PutItem`, `UpdateItem`, `Query`. */
export type DynamoOperation = string;

export type DynamoFault =
  | { readonly kind: 'throttle' }
  | { readonly kind: 'server-error' }
  | { readonly kind: 'delay'; readonly ms: number }
  /** Holds the request unanswered until `heal()`, then forwards it. */
  | { readonly kind: 'hold' };

export interface DynamoFaultProxy {
  /** `http://127.0.0.1:<port>`: give this to the code under test as its DynamoDB endpoint. */
  readonly endpoint: string;
  /** From now on, the operations answer with the fault (others pass through untouched). */
  inject(operations: readonly DynamoOperation[], fault: DynamoFault): void;
  /** Every operation passes through again; held requests are forwarded. */
  heal(): void;
  /** The next request of the operation to arrive: ask before causing it. */
  arrival(operation: DynamoOperation): Promise<void>;
  /** How often each operation was faulted so far. */
  faulted(operation: DynamoOperation): number;
  /** Resolves when no forwarded request (a delayed one, say) is still in flight. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const ERROR_BODIES = {
  throttle: {
    status: 400,
    body: {
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
      message: 'The level of configured provisioned throughput for the table was exceeded.',
    },
  },
  'server-error': {
    status: 500,
    body: {
      __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
      message: 'Internal server error',
    },
  },
} as const;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * A stand-in for DynamoDB on 127.0.0.1 that forwards every request to a real (embedded) one,
 * except the operations a test chose to throttle, fail or slow down. The code under test keeps
 * its real SDK client, retries and error mapping; only the wire answers change.
 */
export async function startDynamoFaultProxy(upstream: string): Promise<DynamoFaultProxy> {
  let faults = new Map<DynamoOperation, DynamoFault>();
  const faultCounts = new Map<DynamoOperation, number>();
  let held: (() => void)[] = [];
  const waiting = new Map<DynamoOperation, (() => void)[]>();
  let inFlight = 0;
  let waiters: (() => void)[] = [];

  const settle = () => {
    inFlight--;
    if (inFlight === 0) for (const wake of waiters.splice(0)) wake();
  };

  const forward = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))
        headers[name] = value;
    }
    const answer = await fetch(`${upstream}${req.url ?? '/'}`, {
      method: req.method ?? 'POST',
      headers,
      body,
    });
    const payload = Buffer.from(await answer.arrayBuffer());
    res.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'application/x-amz-json-1.0',
      'content-length': payload.length,
    });
    res.end(payload);
  };

  const server: Server = createServer((req, res) => {
    inFlight++;
    void (async () => {
      const body = await readBody(req);
      const operation =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      for (const wake of waiting.get(operation)?.splice(0) ?? []) wake();
      const fault = faults.get(operation);
      if (fault !== undefined) faultCounts.set(operation, (faultCounts.get(operation) ?? 0) + 1);
      if (fault?.kind === 'delay') await sleep(fault.ms);
      if (fault?.kind === 'hold') await new Promise<void>((forwardNow) => held.push(forwardNow));
      if (fault === undefined || fault.kind === 'delay' || fault.kind === 'hold')
        return forward(req, res, body);
      const { status, body: error } = ERROR_BODIES[fault.kind];
      const payload = JSON.stringify(error);
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(payload),
      });
      res.end(payload);
    })()
      .catch(() => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      })
      .finally(settle);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    inject: (operations, fault) => {
      faults = new Map([...faults, ...operations.map((operation) => [operation, fault] as const)]);
    },
    heal: () => {
      faults = new Map();
      for (const forwardNow of held.splice(0)) forwardNow();
    },
    arrival: (operation) =>
      new Promise<void>((arrived) => {
        const queue = waiting.get(operation) ?? [];
        waiting.set(operation, queue);
        queue.push(arrived);
      }),
    faulted: (operation) => faultCounts.get(operation) ?? 0,
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((wake) => waiters.push(wake))),
    close: () =>
      new Promise<void>((closed) => {
        waiters = [];
        held = [];
        server.close(() => closed());
        server.closeAllConnections();
      }),
  };
}
