import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface EmbeddedDynamoOptions {
  /** Persist under this directory; in memory when absent. Only one process may open it at a time. */
  readonly dataDir?: string;
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
}

export interface EmbeddedDynamo {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** A client for this server, with the region and dummy credentials a local endpoint still needs. */
  readonly client: DynamoDBClient;
  /** Stops the server and releases the data directory; a later start on it sees the same data. */
  close(): Promise<void>;
}

/** Another process (or an unclosed instance in this one) holds the LevelDB lock on the data directory. */
export class DataDirectoryLockedError extends Error {
  constructor(
    readonly dataDir: string,
    options?: { cause?: unknown; inThisProcess?: boolean },
  ) {
    super(
      options?.inThisProcess
        ? `An embedded DynamoDB in this process is already using ${dataDir}; close it before starting another on the same directory.`
        : `Another rag-serving process is using ${dataDir}; stop it, or set RAG_DATA_DIR to another directory.`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'DataDirectoryLockedError';
  }
}

/** The embedded DynamoDB could not start for a reason other than a locked data directory. */
export class EmbeddedDynamoStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddedDynamoStartError';
  }
}

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}
type Dynalite = (options: DynaliteOptions) => Server;
interface LevelDatabase {
  open(): Promise<void>;
  close(): Promise<void>;
}
type LevelConstructor = new (location: string) => LevelDatabase;

// dynalite ships no type declarations; load it through require and give it the small type above.
// `level` is resolved from dynalite's own location so the lock probe uses the very binding
// dynalite opens the directory with, whatever the package manager's layout.
const requireHere = createRequire(import.meta.url);
const dynalitePath = requireHere.resolve('dynalite');
const dynalite = requireHere(dynalitePath) as Dynalite;
const { Level } = createRequire(dynalitePath)('level') as { Level: LevelConstructor };

/**
 * Data directories opened by this process. LevelDB releases a process's POSIX lock on a
 * directory when *any* descriptor of its LOCK file closes, including the one a failed second
 * open in the same process makes, so a second open here must be refused before it reaches
 * LevelDB, or it would silently let other processes in.
 */
const openDirectories = new Set<string>();

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function causeOf(error: unknown): unknown {
  return error instanceof Error ? error.cause : undefined;
}

/**
 * Opens and closes the directory once, so a held lock fails here with LevelDB's own reason
 * (LEVEL_LOCKED) instead of later: dynalite opens its store in the background and swallows the
 * failure, after which each request throws "Database is not open" outside any callback.
 */
async function probeDirectory(dataDir: string): Promise<void> {
  const db = new Level(dataDir);
  try {
    await db.open();
  } catch (error) {
    const reason = causeOf(error) ?? error;
    if (errorCode(reason) === 'LEVEL_LOCKED') throw new DataDirectoryLockedError(dataDir, { cause: error });
    throw new EmbeddedDynamoStartError(
      `Cannot open the embedded DynamoDB data in ${dataDir}: ${String(reason)}`,
      {
        cause: error,
      },
    );
  }
  await db.close();
}

/**
 * dynalite throws from request-event listeners, which nothing can catch and which would take
 * the whole process down: `req.on('error', err => { throw err })` when a client disconnects
 * mid-request, and synchronous store failures in its 'end' listener. Wrap both listeners so a
 * failure answers that one request with a 500 instead, and remember it for the start probe.
 */
function guardRequests(server: Server, onFailure: (error: unknown) => void): void {
  const [handle] = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  if (handle === undefined) throw new EmbeddedDynamoStartError('dynalite registered no request handler.');
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const errorsBefore = new Set(req.listeners('error'));
    const endsBefore = new Set(req.listeners('end'));
    handle(req, res);
    for (const listener of req.listeners('error')) {
      if (!errorsBefore.has(listener)) req.off('error', listener as (...args: unknown[]) => void);
    }
    // The client went away: there is nobody left to answer.
    req.on('error', () => res.destroy());
    for (const listener of req.listeners('end')) {
      if (endsBefore.has(listener)) continue;
      const original = listener as (...args: unknown[]) => void;
      req.off('end', original);
      req.on('end', (...args: unknown[]) => {
        try {
          original.apply(req, args);
        } catch (error) {
          onFailure(error);
          if (res.headersSent) {
            res.destroy();
            return;
          }
          const body = JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: String(error),
          });
          res.writeHead(500, {
            'Content-Type': 'application/x-amz-json-1.0',
            'Content-Length': Buffer.byteLength(body),
          });
          res.end(body);
        }
      });
    }
  });
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

/** dynalite's close() stops the HTTP server, waits for in-flight operations, then closes the store. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolveClose, reject) => {
    server.close((error?: Error) => (error ? reject(error) : resolveClose()));
    // Keep-alive sockets from clients we do not own would otherwise hold close() open.
    server.closeIdleConnections();
  });
}

/**
 * Starts dynalite on 127.0.0.1, persisted under `dataDir` when given. A directory that another
 * process holds fails here with DataDirectoryLockedError, never on the first request.
 */
export async function startEmbeddedDynamo(options: EmbeddedDynamoOptions = {}): Promise<EmbeddedDynamo> {
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir !== undefined) {
    if (openDirectories.has(dataDir)) throw new DataDirectoryLockedError(dataDir, { inThisProcess: true });
    openDirectories.add(dataDir);
  }
  const release = () => {
    if (dataDir !== undefined) openDirectories.delete(dataDir);
  };
  let server: Server | undefined;
  let client: DynamoDBClient | undefined;
  try {
    if (dataDir !== undefined) {
      await mkdir(dataDir, { recursive: true });
      await probeDirectory(dataDir);
    }
    let storeFailure: unknown;
    server = dynalite({
      ...(dataDir !== undefined && { path: dataDir }),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    guardRequests(server, (error) => {
      storeFailure ??= error;
    });
    // A server error after start (there are none in normal operation) must not crash the process.
    server.on('error', () => undefined);
    let port: number;
    try {
      port = await listen(server, options.port ?? 0);
    } catch (error) {
      // dynalite closes its store only when a listening server closes: listen anywhere to release it.
      await listen(server, 0).then(
        () => closeServer(server as Server),
        () => undefined,
      );
      server = undefined;
      throw error;
    }
    const endpoint = `http://127.0.0.1:${port}`;
    client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
    } catch (error) {
      // Another process took the lock in the instant between our probe and dynalite's own open.
      // (Had this request reached the store while it was still opening, dynalite would have
      // failed it from a stream callback nothing can catch; the probe makes that window tiny.)
      if (dataDir !== undefined && errorCode(storeFailure) === 'LEVEL_DATABASE_NOT_OPEN') {
        throw new DataDirectoryLockedError(dataDir, { cause: storeFailure });
      }
      throw new EmbeddedDynamoStartError(
        `The embedded DynamoDB did not answer at ${endpoint}: ${String(error)}`,
        { cause: error },
      );
    }
    const running = server;
    const runningClient = client;
    let closing: Promise<void> | undefined;
    return {
      endpoint,
      client: runningClient,
      close: () => {
        closing ??= (async () => {
          try {
            // The server first: it lets requests in flight finish (the serving code shares this
            // client), and dynalite fails a request whose socket died mid-operation with an
            // exception nothing can catch.
            await closeServer(running);
          } finally {
            runningClient.destroy();
            release();
          }
        })();
        return closing;
      },
    };
  } catch (error) {
    client?.destroy();
    if (server !== undefined) await closeServer(server).catch(() => undefined);
    release();
    throw error;
  }
}
