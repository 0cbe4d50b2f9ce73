import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNREACHED_CREDENTIAL_PROVIDERS, cdkEsbuildOptions } from '../../lib/constructs/function-bundling.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rag-function-bundle-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The files esbuild put into a function's bundle, built as CDK builds it. */
async function bundledInputs(entry = 'functions/invocations/handler.ts'): Promise<string[]> {
  const result = await build({
    ...cdkEsbuildOptions(),
    entryPoints: [join(ROOT, entry)],
    outfile: join(work, `${entry.replace(/\W+/g, '-')}/index.mjs`),
    absWorkingDir: ROOT,
    metafile: true,
  });
  const output = Object.values(result.metafile.outputs).find((candidate) => candidate.entryPoint);
  return Object.entries(output?.inputs ?? {})
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path);
}

describe('The Lambda function bundles', () => {
  it.each(['functions/invocations/handler.ts', 'functions/ask-rag-udf/handler.ts'])(
    '%s holds only what the Lambda runs: no local adapter, index, ingestion or Pinecone SDK code',
    async (entry) => {
      // Act
      const inputs = await bundledInputs(entry);

      // Assess
      const unexpected = [
        'src/adapters/local/',
        'src/ingest/',
        'src/local/',
        'node_modules/minisearch/',
        'node_modules/@pinecone-database/',
        'node_modules/node-html-parser/',
        'node_modules/openai/',
        'node_modules/@duckdb/',
        ...UNREACHED_CREDENTIAL_PROVIDERS.map((name) => `node_modules/${name}/`),
      ];
      expect(inputs.filter((path) => unexpected.some((part) => path.includes(part)))).toEqual([]);
      expect(inputs.some((path) => path.startsWith('src/adapters/bedrock/'))).toBe(true);
      expect(inputs.some((path) => path.startsWith('src/adapters/pinecone/pinecone-retriever'))).toBe(true);
    },
  );

  describe('its default credential chain, with the providers a Lambda never reaches left out', () => {
    let probe: string;
    beforeAll(async () => {
      probe = join(work, 'credentials/index.mjs');
      await build({
        ...cdkEsbuildOptions(),
        stdin: {
          contents: `import { defaultProvider } from '@aws-sdk/credential-provider-node';
            const { accessKeyId } = await defaultProvider()();
            process.stdout.write(accessKeyId);`,
          resolveDir: ROOT,
          loader: 'ts',
        },
        outfile: probe,
        absWorkingDir: ROOT,
      });
    });
    const environment = (extra: Record<string, string>) => ({
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: work,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...extra,
    });

    it('finds the credentials Lambda puts in the environment', async () => {
      // Act
      const { stdout } = await run(process.execPath, [probe], {
        env: environment({
          AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'secret',
          AWS_SESSION_TOKEN: 'session',
        }),
      });

      // Assess
      expect(stdout).toBe('ASIAEXAMPLE');
    });

    it('fails on a provider left out when the environment holds none', async () => {
      // Act
      const outcome = await run(process.execPath, [probe], { env: environment({}) }).catch(
        (error: { stderr: string }) => error,
      );

      // Assess
      expect('stderr' in outcome ? outcome.stderr : '').toMatch(
        /Cannot find (package|module) '@aws-sdk\/credential-provider-ini'/,
      );
    });
  });
});
