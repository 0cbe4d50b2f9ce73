import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createServingHandler } from '../routes/serving-handler.js';
import { tokenStoreFromEnvironment } from '../composition/token-store-from-env.js';
import { authorizerFromEnvironment } from '../composition/authorizer-from-env.js';
import { dynamoClientForEndpoint } from '../composition/dynamo-client.js';
import { systemClock } from '../core/ports/clock.js';
import { EnvVar } from '../shared/env.js';
import { loadServingConfig } from '../config/serving-config.js';
import { loadSecurityConfig } from '../config/security-config.js';
import { Defaults } from '../shared/limits.js';
import { ensureSessionTable } from '../adapters/dynamodb/session-table.js';
import { ensureUsageTable } from '../adapters/dynamodb/usage-table.js';
import { localIndexPath, openLocalRetrieval } from '../adapters/local/open-local-retrieval.js';
import type { EmbedderConfig } from '../config/backends-config.js';
import { ingestFolder } from '../ingest/ingest-folder.js';
import type { IngestReport } from '../ingest/ingest-report.js';
import { FileManifest } from '../ingest/manifest/file-manifest.js';
import { localManifestPath } from '../ingest/manifest/local-manifest-path.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './embedded-dynamodb.js';
import { upgradeLegacySessionTable } from './legacy-session-table.js';
import { createLocalGateway, type StreamingHandler } from './local-gateway.js';
import { installLocalStreamingRuntime } from './lambda-streaming-runtime.js';
import { resolveLocalToken, type LocalToken } from './local-token.js';
import { localServingServices } from './local-services.js';
import { deepCheckAuthentication } from '../composition/serving-services.js';

export interface LocalServerOptions {
  /** All local state: index, embedded DynamoDB data, token hashes. @default '.rag' */
  readonly dataDir?: string;
  /** @default 8080; 0 picks a free port */
  readonly port?: number;
  /** @default 'rag' */
  readonly endpointName?: string;
  /** The bearer token to accept; otherwise one is read from or written to `<dataDir>/token`. */
  readonly token?: string;
  /** Ingested on first start, when the index is still empty. */
  readonly sampleCorpusDir?: string;
  /** Keep sessions in memory instead of under the data directory (tests). @default false */
  readonly inMemorySessions?: boolean;
  /**
   * Use this DynamoDB endpoint (DynamoDB Local, or a test's fault-injecting proxy) instead of
   * starting the embedded one. @default the embedded dynalite
   */
  readonly dynamodbEndpoint?: string;
  /** Further environment for the serving function, as a Lambda's configuration would set it. */
  readonly environment?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

export interface LocalServer {
  readonly url: string;
  readonly endpointName: string;
  readonly token: LocalToken;
  /** Set when this start ingested the sample corpus. */
  readonly firstStartIngest?: IngestReport;
  readonly server: Server;
  close(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(port: number, options?: { cause?: unknown }) {
    super(
      `Port ${port} on 127.0.0.1 is already in use; stop the other server or start with PORT=<another port>.`,
      options,
    );
    this.name = 'PortInUseError';
  }
}

/** `-v2`: the first local table had no owner index, and dynalite cannot add one to a table. */
const SESSION_TABLE = 'rag-sessions-local-v2';
const LEGACY_SESSION_TABLE = 'rag-sessions-local';
const USAGE_TABLE = 'rag-usage-local';

/** The embedded DynamoDB, or a client for an endpoint somebody else runs. */
async function openDynamo(options: LocalServerOptions, dataDir: string): Promise<EmbeddedDynamo> {
  if (options.dynamodbEndpoint !== undefined) {
    const client = dynamoClientForEndpoint(options.dynamodbEndpoint);
    return {
      endpoint: options.dynamodbEndpoint,
      client,
      close: async () => client.destroy(),
    };
  }
  return startEmbeddedDynamo(options.inMemorySessions ? {} : { dataDir: join(dataDir, 'dynamodb') });
}
/** Source name of the bundled corpus; re-ingest it with `npm run ingest -- examples/corpus --source docs`. */
export const SAMPLE_SOURCE = 'docs';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function ingestSampleCorpus(
  dataDir: string,
  corpusDir: string,
  embedderConfig: EmbedderConfig,
  log: (line: string) => void,
): Promise<IngestReport> {
  const { embedder, index } = await openLocalRetrieval(dataDir, { embedder: embedderConfig });
  log(`First start: ingesting the sample corpus from ${corpusDir} ...`);
  // With the manifest `npm run ingest -- examples/corpus --source docs` uses, so a later refresh
  // embeds only what changed; each checkpoint is one write of the index file, not one per batch.
  const summary = await ingestFolder({
    dir: corpusDir,
    source: SAMPLE_SOURCE,
    embedder,
    index,
    manifest: await FileManifest.open(localManifestPath(dataDir, SAMPLE_SOURCE)),
    writeBatch: (work) => index.batch(work),
  });
  log(`  ${summary.added} documents, ${summary.chunksWritten} chunks in ${summary.seconds.toFixed(2)} s`);
  return summary;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, { cause: error }) : error),
    );
    server.listen(port, '127.0.0.1', () => resolvePort((server.address() as AddressInfo).port));
  });
}

/**
 * Starts the embedded services and serves the real handler on 127.0.0.1 behind a local stand-in
 * for API Gateway (same proxy event, same TOKEN authorizer code, same gateway responses).
 */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const log = options.log ?? (() => undefined);
  installLocalStreamingRuntime();
  const dataDir = resolve(options.dataDir ?? '.rag');
  const endpointName = options.endpointName ?? Defaults.endpointName;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  const dynamo = await openDynamo(options, dataDir);
  try {
    await ensureSessionTable(dynamo.client, SESSION_TABLE);
    await upgradeLegacySessionTable(dynamo.client, LEGACY_SESSION_TABLE, SESSION_TABLE, log);
    await ensureUsageTable(dynamo.client, USAGE_TABLE);
    const environment: NodeJS.ProcessEnv = {
      ...options.environment,
      [EnvVar.dataDir]: dataDir,
      [EnvVar.endpointName]: endpointName,
      [EnvVar.sessionTable]: SESSION_TABLE,
      [EnvVar.usageTable]: USAGE_TABLE,
      [EnvVar.dynamodbEndpoint]: dynamo.endpoint,
    };
    // Locally the token file it is: the token CLI must be able to write it while we run.
    delete environment[EnvVar.tokenTable];
    const config = loadServingConfig(environment);
    let firstStartIngest: IngestReport | undefined;
    // The sample corpus goes into the local index; a server on Pinecone has its own ingestion.
    const usesLocalIndex = config.backends.index.kind === 'local';
    if (options.sampleCorpusDir && usesLocalIndex && !(await exists(localIndexPath(dataDir)))) {
      firstStartIngest = await ingestSampleCorpus(
        dataDir,
        options.sampleCorpusDir,
        config.backends.embedder,
        log,
      );
    }
    const token = await resolveLocalToken({
      dataDir,
      envToken: options.token,
      store: tokenStoreFromEnvironment(environment),
      clock: systemClock,
    });
    const services = await localServingServices({
      config,
      security: loadSecurityConfig(environment),
      dynamo: dynamo.client,
      authenticate: deepCheckAuthentication(environment, systemClock),
    });
    const handler = createServingHandler(services);
    const server = createLocalGateway({
      handler: handler as unknown as StreamingHandler,
      authorizer: authorizerFromEnvironment(environment, systemClock),
      onError: (error) => log(`unhandled failure: ${(error as Error).stack ?? String(error)}`),
    });
    const port = await listen(server, options.port ?? 8080);
    return {
      url: `http://127.0.0.1:${port}`,
      endpointName,
      token,
      server,
      ...(firstStartIngest && { firstStartIngest }),
      close: async () => {
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        });
        await dynamo.close();
      },
    };
  } catch (error) {
    await dynamo.close();
    throw error;
  }
}
