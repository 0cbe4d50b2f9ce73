import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RagClient, type Prediction } from '../../src/client/index.js';
import { runRag } from '../../src/cli/rag/main.js';
import type { CliIo } from '../../src/cli/rag/cli-io.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../src/local/embedded-dynamodb.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../fakes/dynamo-fault-proxy.js';
import { issueTestToken, startTestServer, TEST_TOKEN, type TestServer } from '../support/local-server.js';

const RAG_BIN = fileURLToPath(new URL('../../bin/rag.js', import.meta.url));

let server: TestServer;
let workDir: string;

beforeAll(async () => {
  server = await startTestServer();
  workDir = await mkdtemp(join(tmpdir(), 'rag-cli-'));
});
afterAll(async () => {
  await server?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `rag` as `npx rag` does (node bin/rag.js) in a fresh process. */
function runBin(
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string; cwd?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [RAG_BIN, ...args],
      { cwd: options.cwd ?? workDir, env: { PATH: process.env.PATH ?? '', ...options.env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** Runs `rag` in this process with captured output: the same entry the bin calls. */
async function runInProcess(
  args: readonly string[],
  env: Record<string, string>,
  input = '',
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from([input]),
    env,
    cwd: workDir,
  };
  const code = await runRag(args, io);
  return { code, stdout, stderr };
}

const serverEnv = () => ({ RAG_URL: server.url, RAG_TOKEN: TEST_TOKEN });

describe('rag ask', () => {
  it('prints the prediction with --json and exits 0 (npx rag, a real process)', async () => {
    // Act
    const run = await runBin(['ask', 'How do I run rag-serving locally?', '--top-k', '3', '--json'], {
      env: serverEnv(),
    });

    // Assess
    expect(run.code).toBe(0);
    const prediction = JSON.parse(run.stdout) as Prediction;
    expect(prediction.response.length).toBeGreaterThan(0);
    expect(prediction.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(prediction.sources.length).toBeGreaterThan(0);
    expect(prediction.sources.length).toBeLessThanOrEqual(3);
    expect(Object.keys(prediction).sort()).toEqual([
      'guardrail',
      'response',
      'session_id',
      'sources',
      'usage',
    ]);
  });

  it('prints the answer and its numbered sources for a person, the session on stderr', async () => {
    // Act
    const run = await runInProcess(['ask', 'What is a guardrail?', '--session', 'cli-human'], serverEnv());

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\n\nSources:\n {2}\[1\] docs\/\S+ \(score \d+\.\d\d\)\n/);
    expect(run.stderr).toBe('session cli-human\n');
  });

  it('finds the local server and its token file when nothing is configured', async () => {
    // Prepare: a folder where `npm start` ran: .rag/token, and PORT.
    const project = join(workDir, 'local-project');
    await mkdir(join(project, '.rag'), { recursive: true });
    await writeFile(join(project, '.rag', 'token'), `${TEST_TOKEN}\n`);

    // Act
    const run = await runBin(['ask', 'How do I change the port?', '--json'], {
      cwd: project,
      env: { PORT: new URL(server.url).port },
    });

    // Assess
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as Prediction).response.length).toBeGreaterThan(0);
  });
});

describe('rag exit codes', () => {
  it('exits 2 on a usage error, printing the usage', async () => {
    const missing = await runInProcess(['ask'], serverEnv());
    const outOfRange = await runInProcess(['ask', 'q', '--top-k', '99'], serverEnv());
    const badRating = await runInProcess(['feedback', 's1', 'sideways'], serverEnv());
    const unknown = await runInProcess(['frobnicate'], serverEnv());

    expect([missing.code, outOfRange.code, badRating.code, unknown.code]).toEqual([2, 2, 2, 2]);
    expect(missing.stderr).toContain("missing required argument 'question'");
    expect(outOfRange.stderr).toContain('use a whole number from 1 to 50');
    expect(badRating.stderr).toContain('Allowed choices are up, down');
  });

  it('exits 2 when there is no token to send (a real process)', async () => {
    const run = await runBin(['ask', 'Anyone there?'], { env: { RAG_URL: server.url } });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('RAG_TOKEN');
  });

  it('exits 0 for --help on every command', async () => {
    for (const args of [['--help'], ['ask', '--help'], ['chat', '--help'], ['sessions', 'show', '--help']]) {
      const run = await runInProcess(args, serverEnv());
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout, args.join(' ')).toContain('Usage: rag');
    }
  });

  it('exits 3 on 401 (unknown token) and on 403 (somebody else’s session)', async () => {
    // Prepare
    const { token } = await issueTestToken(server, {
      principal: 'cli-reader',
      scopes: ['invoke', 'sessions:read'],
    });
    await new RagClient({ baseUrl: server.url, token: TEST_TOKEN, env: {} }).ask('Whose session is this?', {
      sessionId: 'cli-not-yours',
    });

    // Act
    const unauthenticated = await runInProcess(['ask', 'Hello?'], {
      RAG_URL: server.url,
      RAG_TOKEN: 'dapi-wrong',
    });
    const forbidden = await runInProcess(['sessions', 'show', 'cli-not-yours'], {
      RAG_URL: server.url,
      RAG_TOKEN: token,
    });

    // Assess
    expect(unauthenticated.code).toBe(3);
    expect(unauthenticated.stderr).toMatch(/^rag: .* \(401 UNAUTHENTICATED, request \S+\)\n$/);
    expect(forbidden.code).toBe(3);
    expect(forbidden.stderr).toContain('403 PERMISSION_DENIED');
  });

  it('exits 4 on another request error (404, 400)', async () => {
    const unknownSession = await runInProcess(['sessions', 'show', 'cli-never-existed'], serverEnv());
    const tooLong = await runInProcess(['ask', 'x'.repeat(10_001)], serverEnv());

    expect(unknownSession.code).toBe(4);
    expect(unknownSession.stderr).toContain('404 RESOURCE_DOES_NOT_EXIST');
    expect(tooLong.code).toBe(4);
    expect(tooLong.stderr).toContain('400 INVALID_PARAMETER_VALUE');
  });

  it('exits 5 when the server cannot be reached (a real process)', async () => {
    // Prepare: a port nobody listens on any more.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    // Act
    const run = await runBin(['ask', 'Hello?'], {
      env: { RAG_URL: `http://127.0.0.1:${port}`, RAG_TOKEN: 'x' },
    });

    // Assess
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(`Could not reach http://127.0.0.1:${port}`);
  });

  describe('with a failing session store', () => {
    let dynamo: EmbeddedDynamo;
    let proxy: DynamoFaultProxy;
    let failing: TestServer;

    beforeAll(async () => {
      dynamo = await startEmbeddedDynamo();
      proxy = await startDynamoFaultProxy(dynamo.endpoint);
      failing = await startTestServer({ dynamodbEndpoint: proxy.endpoint });
    });
    afterAll(async () => {
      await failing?.stop();
      await proxy?.close();
      await dynamo?.close();
    });

    it('exits 5 on a 5xx answer', async () => {
      // Prepare
      proxy.inject(['GetItem'], { kind: 'server-error' });

      // Act
      const run = await runInProcess(['--retries', '0', 'sessions', 'show', 'cli-any'], {
        RAG_URL: failing.url,
        RAG_TOKEN: TEST_TOKEN,
      });
      proxy.heal();

      // Assess
      expect(run.code).toBe(5);
      expect(run.stderr).toContain('503 TEMPORARILY_UNAVAILABLE');
    });
  });
});

describe('rag chat', () => {
  it('answers piped lines in one session, starts another on /new and stops at /exit (a real process)', async () => {
    // Prepare
    const input = [
      'How do I run rag-serving locally?',
      'Where does it keep its data?',
      '/new',
      'What is a guardrail?',
      '/exit',
      'This line is never asked',
    ].join('\n');

    // Act
    const run = await runBin(['chat'], { env: serverEnv(), input: `${input}\n` });

    // Assess
    expect(run.code).toBe(0);
    const sessions = [...run.stderr.matchAll(/^session (\S+)$/gm)].map((match) => match[1]!);
    expect(sessions).toHaveLength(2);
    expect(run.stderr).toContain('Started a new session.');
    const client = new RagClient({ baseUrl: server.url, token: TEST_TOKEN, env: {} });
    const [first, second] = await Promise.all(sessions.map((id) => client.sessions.get(id)));
    expect(first!.turns.map((turn) => turn.query)).toEqual([
      'How do I run rag-serving locally?',
      'Where does it keep its data?',
    ]);
    expect(second!.turns.map((turn) => turn.query)).toEqual(['What is a guardrail?']);
    // Every streamed answer is on stdout, in order.
    const answers = [...first!.turns, ...second!.turns].map((turn) => turn.response);
    let position = 0;
    for (const answer of answers) {
      const found = run.stdout.indexOf(answer, position);
      expect(found).toBeGreaterThanOrEqual(position);
      position = found + answer.length;
    }
  });

  it('reports a failed turn and goes on; stops with 3 when the token is refused', async () => {
    const tolerated = await runInProcess(
      ['chat', '--session', 'cli-chat'],
      serverEnv(),
      `${'y'.repeat(10_001)}\nWhat is a source?\n`,
    );
    const refused = await runInProcess(
      ['chat'],
      { RAG_URL: server.url, RAG_TOKEN: 'dapi-wrong' },
      'Hello?\nAgain?\n',
    );

    expect(tolerated.code).toBe(4);
    expect(tolerated.stderr).toContain('400 INVALID_PARAMETER_VALUE');
    expect(tolerated.stdout).toContain('Sources:');
    expect(refused.code).toBe(3);
    expect(refused.stderr.match(/401 UNAUTHENTICATED/g)).toHaveLength(1);
  });
});

describe('rag sessions and feedback', () => {
  it('lists, shows, rates and deletes the caller’s sessions', async () => {
    // Prepare
    const { token } = await issueTestToken(server, {
      principal: 'cli-owner',
      scopes: ['invoke', 'sessions:read', 'sessions:delete'],
    });
    const env = { RAG_URL: server.url, RAG_TOKEN: token };
    await runInProcess(['ask', 'How are sessions stored?', '--session', 'cli-owned'], env);

    // Act
    const listed = await runInProcess(['sessions', 'list', '--json'], env);
    const shown = await runInProcess(['sessions', 'show', 'cli-owned'], env);
    const rated = await runInProcess(
      ['feedback', 'cli-owned', 'down', '--comment', 'too short', '--json'],
      env,
    );
    const deleted = await runInProcess(['sessions', 'delete', 'cli-owned'], env);
    const afterDelete = await runInProcess(['sessions', 'list'], env);

    // Assess
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { session_id: string }[]).map((s) => s.session_id)).toEqual([
      'cli-owned',
    ]);
    expect(shown.stdout).toMatch(/^\[\S+Z\]\nQ: How are sessions stored\?\nA: .+\n$/);
    expect(JSON.parse(rated.stdout)).toMatchObject({ session_id: 'cli-owned' });
    expect(deleted.code).toBe(0);
    expect(deleted.stderr).toBe('Deleted session cli-owned.\n');
    expect(afterDelete.stderr).toBe('No sessions.\n');
  });
});

describe('rag tokens and rag ingest', () => {
  it('runs the token commands under the same roof', async () => {
    // Prepare
    const dataDir = join(workDir, 'tokens-data');

    // Act
    const created = await runInProcess(
      ['tokens', 'create', '--principal', 'cli-svc', '--data-dir', dataDir],
      {},
    );
    const listed = await runInProcess(['tokens', 'list', '--json', '--data-dir', dataDir], {});

    // Assess
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toMatch(/^dapi/);
    expect((JSON.parse(listed.stdout) as { principal: string }[]).map((t) => t.principal)).toEqual([
      'cli-svc',
    ]);
  });

  it('runs the ingest command under the same roof (a real process)', async () => {
    // Prepare
    const docs = join(workDir, 'docs-to-ingest');
    await mkdir(docs, { recursive: true });
    await writeFile(join(docs, 'note.md'), '# A note\n\nThe CLI mounts the ingest command.\n');

    // Act
    const run = await runBin(['ingest', docs, '--data-dir', join(workDir, 'ingest-data')]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /Ingested .* as source 'docs-to-ingest': 1 documents \(1 added.*1 chunks written/,
    );
  });
});
