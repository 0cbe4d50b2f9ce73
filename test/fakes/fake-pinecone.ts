import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

type Metadata = Record<string, unknown>;

interface StoredVector {
  readonly id: string;
  readonly values: readonly number[];
  readonly metadata: Metadata;
}

/** One request the fake received, so tests can assert what the adapter sends. */
export interface RecordedPineconeRequest {
  readonly method: string;
  /** Path without the query string, e.g. `/query`. */
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: Record<string, unknown>;
  /** Size of the request body in bytes. */
  readonly bytes: number;
  readonly apiKey: string | undefined;
  /** The `X-Pinecone-Api-Version` header: the REST API version the client speaks. */
  readonly apiVersion: string | undefined;
  /** HTTP status the fake answered with; absent when it dropped the connection. */
  status?: number;
}

export interface FakePineconeFaults {
  /** Added before every answer. */
  readonly latencyMs: number;
  /** Answer the next `times` requests with this status (500, 503 or 429). */
  readonly status?: number;
  readonly times?: number;
  /** Drop every connection at once, as a dead host would. */
  readonly down: boolean;
  /** Hold every answer until the fault is lifted (`hold: false`) or the client gives up. */
  readonly hold?: boolean;
}

export interface FakePineconeOptions extends Partial<FakePineconeFaults> {
  /** The only API key accepted; any other gets 401. @default 'fake-pinecone-key' */
  readonly apiKey?: string;
  /** @default 1024 */
  readonly dimension?: number;
  /** The control plane's `GET /indexes/{name}` knows this index (any other name is 404). @default 'rag-serving-dev' */
  readonly indexName?: string;
  /** The metric the control plane reports for the index. @default 'cosine' */
  readonly metric?: string;
}

export interface FakePinecone {
  /** `http://127.0.0.1:<port>`: the index host for `pc.index({ host })`. */
  readonly host: string;
  readonly apiKey: string;
  readonly requests: RecordedPineconeRequest[];
  /** Vectors per namespace, for assertions. */
  vectors(namespace?: string): readonly StoredVector[];
  setFault(faults: Partial<FakePineconeFaults>): void;
  close(): Promise<void>;
}

/** Pinecone's data-plane request limits, enforced as the service does. */
export const PINECONE_LIMITS = {
  maxUpsertRecords: 1000,
  maxRequestBytes: 2 * 1024 * 1024,
  maxDeleteIds: 1000,
};

// -------------------------------------------------------------------------------------------
// Metadata filters: Pinecone's operators, over flat metadata.

type Filter = Record<string, unknown>;

function compare(value: unknown, operator: string, operand: unknown): boolean {
  switch (operator) {
    case '$eq':
      return value === operand;
    case '$ne':
      return value !== operand;
    case '$in':
      return Array.isArray(operand) && operand.includes(value);
    case '$nin':
      return Array.isArray(operand) && !operand.includes(value);
    case '$gt':
      return typeof value === 'number' && value > Number(operand);
    case '$gte':
      return typeof value === 'number' && value >= Number(operand);
    case '$lt':
      return typeof value === 'number' && value < Number(operand);
    case '$lte':
      return typeof value === 'number' && value <= Number(operand);
    case '$exists':
      return (value !== undefined) === operand;
    default:
      throw new Error(`unsupported filter operator ${operator}`);
  }
}

export function matchesFilter(metadata: Metadata, filter: Filter | undefined): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([key, condition]) => {
    if (key === '$and') return (condition as Filter[]).every((f) => matchesFilter(metadata, f));
    if (key === '$or') return (condition as Filter[]).some((f) => matchesFilter(metadata, f));
    if (typeof condition === 'object' && condition !== null && !Array.isArray(condition)) {
      return Object.entries(condition).every(([operator, operand]) =>
        compare(metadata[key], operator, operand),
      );
    }
    return metadata[key] === condition;
  });
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/**
 * A fake Pinecone serverless data plane on 127.0.0.1, speaking the API version the SDK sends:
 * query (cosine, metadata filter, namespaces), upsert, delete, list (prefix, pagination) and
 * describe index stats (and the control plane's describe index), with Pinecone's request limits and switches for latency, error
 * statuses and a dead host. Benchmarks reuse it.
 */
export async function startFakePinecone(options: FakePineconeOptions = {}): Promise<FakePinecone> {
  const apiKey = options.apiKey ?? 'fake-pinecone-key';
  const dimension = options.dimension ?? 1024;
  let faults: FakePineconeFaults = { latencyMs: 0, down: false, ...options };
  const namespaces = new Map<string, Map<string, StoredVector>>();
  const requests: RecordedPineconeRequest[] = [];
  const sockets = new Set<Socket>();
  let held: (() => void)[] = [];

  const space = (name: unknown) => {
    const key = typeof name === 'string' ? name : '';
    let found = namespaces.get(key);
    if (!found) namespaces.set(key, (found = new Map()));
    return found;
  };

  const reply = (res: ServerResponse, record: RecordedPineconeRequest, status: number, payload: unknown) => {
    record.status = status;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  };

  const operations: Record<string, (record: RecordedPineconeRequest) => [number, unknown]> = {
    'POST /query': ({ body }) => {
      const { vector, topK, filter, namespace, includeValues, includeMetadata } = body as {
        vector: number[];
        topK: number;
        filter?: Filter;
        namespace?: string;
        includeValues?: boolean;
        includeMetadata?: boolean;
      };
      if (!Array.isArray(vector) || vector.length !== dimension) {
        return [
          400,
          {
            code: 3,
            message: `Vector dimension ${vector?.length} does not match the dimension of the index ${dimension}`,
          },
        ];
      }
      const matches = [...space(namespace).values()]
        .filter((v) => matchesFilter(v.metadata, filter))
        .map((v) => ({ v, score: cosine(vector, v.values) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, topK)
        .map(({ v, score }) => ({
          id: v.id,
          score,
          values: includeValues ? v.values : [],
          ...(includeMetadata && { metadata: v.metadata }),
        }));
      return [200, { matches, namespace: namespace ?? '', usage: { readUnits: 1 } }];
    },
    'POST /vectors/upsert': ({ body, bytes }) => {
      const { vectors, namespace } = body as { vectors: StoredVector[]; namespace?: string };
      if (vectors.length > PINECONE_LIMITS.maxUpsertRecords || bytes > PINECONE_LIMITS.maxRequestBytes) {
        return [
          400,
          { code: 3, message: `Request of ${vectors.length} vectors and ${bytes} bytes exceeds the limits` },
        ];
      }
      const target = space(namespace);
      for (const v of vectors) target.set(v.id, { id: v.id, values: v.values, metadata: v.metadata ?? {} });
      return [200, { upsertedCount: vectors.length }];
    },
    'POST /vectors/delete': ({ body }) => {
      const {
        ids = [],
        namespace,
        deleteAll,
      } = body as { ids?: string[]; namespace?: string; deleteAll?: boolean };
      if (ids.length > PINECONE_LIMITS.maxDeleteIds) return [400, { code: 3, message: 'Too many ids' }];
      const target = space(namespace);
      if (deleteAll) target.clear();
      for (const id of ids) target.delete(id);
      return [200, {}];
    },
    'GET /vectors/list': ({ query }) => {
      const limit = Number(query.limit ?? 100);
      const ids = [...space(query.namespace).keys()].filter((id) => id.startsWith(query.prefix ?? '')).sort();
      const start = query.paginationToken
        ? Number(Buffer.from(query.paginationToken, 'base64url').toString())
        : 0;
      const page = ids.slice(start, start + limit);
      const next =
        start + limit < ids.length ? Buffer.from(String(start + limit)).toString('base64url') : undefined;
      return [
        200,
        {
          vectors: page.map((id) => ({ id })),
          ...(next && { pagination: { next } }),
          namespace: query.namespace ?? '',
          usage: { readUnits: 1 },
        },
      ];
    },
    'POST /describe_index_stats': () => {
      const summary = Object.fromEntries([...namespaces].map(([name, v]) => [name, { vectorCount: v.size }]));
      const total = [...namespaces.values()].reduce((sum, v) => sum + v.size, 0);
      return [
        200,
        {
          namespaces: summary,
          dimension,
          indexFullness: 0,
          totalVectorCount: total,
          metric: 'cosine',
          vectorType: 'dense',
        },
      ];
    },
  };

  /** The control plane's DescribeIndex, served from the same port: the index is this data plane. */
  const describeIndex = (res: ServerResponse, record: RecordedPineconeRequest, name: string) => {
    if (name !== (options.indexName ?? 'rag-serving-dev')) {
      return reply(res, record, 404, {
        error: { code: 'NOT_FOUND', message: `Resource ${name} not found` },
        status: 404,
      });
    }
    return reply(res, record, 200, {
      name,
      dimension,
      metric: options.metric ?? 'cosine',
      // Pinecone answers a bare host and clients add https://; this fake speaks plain http, so its
      // host carries the scheme a client must use to reach it.
      host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      deletion_protection: 'disabled',
      spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
      status: { ready: true, state: 'Ready' },
      vector_type: 'dense',
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: RecordedPineconeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {},
      bytes: raw.length,
      apiKey: req.headers['api-key'] as string | undefined,
      apiVersion: req.headers['x-pinecone-api-version'] as string | undefined,
    };
    requests.push(record);
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (faults.hold) {
      await new Promise<void>((answer) => {
        held.push(answer);
        res.once('close', answer);
      });
      if (res.destroyed || res.writableEnded) return;
    }
    if (faults.status !== undefined && (faults.times ?? Infinity) > 0) {
      const status = faults.status;
      faults = { ...faults, times: (faults.times ?? Infinity) - 1 };
      return reply(res, record, status, {
        code: status === 429 ? 8 : 14,
        message: 'fault injected by the fake',
      });
    }
    if (record.apiKey !== apiKey) return reply(res, record, 401, { code: 16, message: 'Invalid API key' });
    // The control plane's describe-index, answered by the same fake: its host is this data plane.
    const described = /^\/indexes\/([^/]+)$/.exec(record.path);
    if (record.method === 'GET' && described)
      return describeIndex(res, record, decodeURIComponent(described[1]!));
    const operation = operations[`${record.method} ${record.path}`];
    if (!operation) return reply(res, record, 404, { code: 5, message: 'Not found' });
    const [status, payload] = operation(record);
    return reply(res, record, status, payload);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 13, message: String(error) }));
    });
  });
  server.on('connection', (socket) => {
    if (faults.down) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    vectors: (namespace = '') => [...space(namespace).values()],
    setFault: (next) => {
      faults = { ...faults, ...next };
      if (!faults.hold) for (const answer of held.splice(0)) answer();
      // A host that went down takes its open connections with it.
      if (faults.down) for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        held = [];
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
