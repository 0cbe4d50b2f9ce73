import { fileURLToPath } from 'node:url';
import { EnvVar } from '../shared/env.js';
import { SERVICE_VERSION } from '../shared/version.js';
import { startLocalServer } from './local-server.js';

// Local runs print neither EMF metric blobs nor JSON debug logs unless asked to.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const sampleCorpusDir = fileURLToPath(new URL('../../examples/corpus/', import.meta.url));

try {
  const env = process.env;
  const local = await startLocalServer({
    dataDir: env[EnvVar.dataDir] ?? '.rag',
    port: Number(env[EnvVar.port] ?? 8080),
    ...(env[EnvVar.endpointName] && { endpointName: env[EnvVar.endpointName] }),
    ...(env[EnvVar.token] && { token: env[EnvVar.token] }),
    ...(env[EnvVar.dynamodbEndpoint] && { dynamodbEndpoint: env[EnvVar.dynamodbEndpoint] }),
    sampleCorpusDir,
    environment: Object.fromEntries(
      Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
    log: (line) => console.log(line),
  });
  const invocations = `${local.url}/serving-endpoints/${local.endpointName}/invocations`;
  // performance.now() counts from process start, so this includes loading the modules.
  const seconds = (performance.now() / 1000).toFixed(1);
  console.log(`
rag-serving ${SERVICE_VERSION} (local, embedded defaults) ready in ${seconds} s
  Base URL      ${local.url}
  Invocations   ${invocations}
  Endpoint      ${local.endpointName}
  Token         ${local.token.token}   (${local.token.origin === 'RAG_TOKEN' ? 'from RAG_TOKEN' : `saved in ${env[EnvVar.dataDir] ?? '.rag'}/token`})

Try:
  curl -s ${invocations} \\
    -H "Authorization: Bearer ${local.token.token}" -H 'Content-Type: application/json' \\
    -d '{"dataframe_records":[{"query":"How do I run rag-serving locally?","session_id":"s1"}]}'
`);
  const stop = () => {
    void local.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`rag-serving could not start: ${(error as Error).message}`);
  process.exit(1);
}
