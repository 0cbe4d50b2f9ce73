import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalRetrieval } from '../../src/adapters/local/open-local-retrieval.js';
import { ingestFolder } from '../../src/ingest/ingest-folder.js';
import {
  call,
  issueTestToken,
  startTestServer,
  TEST_TOKEN,
  type TestServer,
} from '../support/local-server.js';

/** Two tenants with a document on the same subject, whose answers differ in one word. */
const TENANTS = {
  'tenant-a': { source: 'acme', code: 'AZURE-FALCON' },
  'tenant-b': { source: 'globex', code: 'CRIMSON-OWL' },
} as const;
type Tenant = keyof typeof TENANTS;

let server: TestServer;
let docsRoot: string;
const tokens = {} as Record<Tenant, string>;

async function writeTenantDocs(tenant: Tenant): Promise<string> {
  const dir = join(docsRoot, TENANTS[tenant].source);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'launch.md'),
    `# Project Zephyr launch procedure\n\nThe Project Zephyr launch code is ${TENANTS[tenant].code}. ` +
      `Operators read the Project Zephyr launch code aloud before every launch window.\n`,
  );
  return dir;
}

beforeAll(async () => {
  server = await startTestServer();
  docsRoot = await mkdtemp(join(tmpdir(), 'rag-tenants-'));
  const { embedder, index } = await openLocalRetrieval(server.dataDir);
  for (const tenant of Object.keys(TENANTS) as Tenant[]) {
    await ingestFolder({
      dir: await writeTenantDocs(tenant),
      source: TENANTS[tenant].source,
      namespace: tenant,
      embedder,
      index,
    });
    tokens[tenant] = (await issueTestToken(server, { principal: `${tenant}-user`, namespace: tenant })).token;
  }
});
afterAll(async () => {
  await server.stop();
  await rm(docsRoot, { recursive: true, force: true });
});

interface Prediction {
  response: string;
  sources: { id: string; source: string; text: string }[];
}

async function ask(token: string, body: Record<string, unknown>): Promise<{ status: number; text: string }> {
  const response = await call(
    server,
    'POST',
    `/serving-endpoints/${server.endpointName}/invocations`,
    token,
    body,
  );
  return { status: response.status, text: await response.text() };
}

const question = (extra: Record<string, unknown> = {}) => ({
  dataframe_records: [{ query: 'What is the Project Zephyr launch code?', ...extra }],
});

describe('Tenant isolation', () => {
  it.each(Object.keys(TENANTS) as Tenant[])('answers %s from its own namespace only', async (tenant) => {
    // Act
    const { status, text } = await ask(tokens[tenant], question());

    // Assess
    expect(status).toBe(200);
    const [prediction] = (JSON.parse(text) as { predictions: Prediction[] }).predictions;
    expect(prediction!.sources.length).toBeGreaterThan(0);
    expect(prediction!.sources.every((s) => s.source.startsWith(`${TENANTS[tenant].source}/`))).toBe(true);
    const other = tenant === 'tenant-a' ? 'tenant-b' : 'tenant-a';
    expect(text).toContain(TENANTS[tenant].code);
    expect(text).not.toContain(TENANTS[other].code);
  });

  it("cannot reach another tenant's documents through a filter or extra fields", async () => {
    // Act
    const attempts = await Promise.all([
      ask(tokens['tenant-a'], { ...question(), params: { filter: { source: 'globex' } } }),
      ask(tokens['tenant-a'], { ...question(), params: { filter: { namespace: 'tenant-b' } } }),
      ask(tokens['tenant-a'], question({ namespace: 'tenant-b' })),
      ask(tokens['tenant-a'], { ...question(), namespace: 'tenant-b' }),
      ask(tokens['tenant-a'], { ...question(), params: { namespace: 'tenant-b' } }),
    ]);

    // Assess
    for (const { text } of attempts) expect(text).not.toContain('CRIMSON-OWL');
    expect(attempts.map((a) => a.status)).toEqual([200, 200, 200, 400, 400]);
    const filtered = JSON.parse(attempts[0]!.text) as { predictions: Prediction[] };
    expect(filtered.predictions[0]!.sources).toEqual([]);
  });

  it('keeps an unbound principal in the default namespace, away from both tenants', async () => {
    // Act
    const { status, text } = await ask(TEST_TOKEN, question());

    // Assess
    expect(status).toBe(200);
    expect(text).not.toContain('AZURE-FALCON');
    expect(text).not.toContain('CRIMSON-OWL');
  });
});
