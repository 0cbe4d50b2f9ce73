import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openLocalRetrieval } from '../../src/adapters/local/open-local-retrieval.js';
import { runBatchCommand } from '../../src/cli/batch.js';
import { ingestFolder } from '../../src/ingest/ingest-folder.js';
import { SAMPLE_CORPUS } from '../support/local-server.js';

let root: string;
let dataDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'batch-cli-'));
  dataDir = join(root, 'data');
  const { embedder, index } = await openLocalRetrieval(dataDir);
  await index.batch(() => ingestFolder({ dir: SAMPLE_CORPUS, source: 'docs', embedder, index }));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function batch(...args: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void stdout.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void stderr.push(line));
  try {
    return { code: await runBatchCommand(['node', 'batch', ...args]), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('npm run batch', () => {
  it('writes one line per input line, in order, the bad lines carrying their errors', async () => {
    // Prepare
    const input = join(root, 'questions.jsonl');
    const output = join(root, 'answers.jsonl');
    await writeFile(
      input,
      [
        '{"query":"How do I run rag-serving locally?","session_id":"s1"}',
        '{"query": "where does it keep its data?", "session_id": "s1"}',
        '{"query": broken json',
        '{"session_id":"s2"}',
        '{"query":"Which error code means the body is not JSON?"}',
      ].join('\n') + '\n',
    );
    // Act
    const result = await batch(input, output, '--data-dir', dataDir, '--concurrency', '2');
    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toEqual([
      `Answered ${input}: 5 lines (3 answered, 2 failed) in ${/\d+\.\d\d/.exec(result.stdout[0] ?? '')?.[0]} s, written to ${output}`,
    ]);
    const lines = (await readFile(output, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(5);
    expect(records[0]).toMatchObject({
      session_id: 's1',
      sources: expect.arrayContaining([
        expect.objectContaining({ source: expect.stringMatching(/^docs\//) }),
      ]),
    });
    expect(records[0]?.response).toEqual(expect.any(String));
    expect(records[1]).toMatchObject({ session_id: 's1', response: expect.any(String) });
    expect(records[2]).toEqual({ error_code: 'BAD_REQUEST', message: 'line 3 is not valid JSON.' });
    expect(records[3]).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: "line 4 is missing the required field 'query'.",
    });
    expect(records[4]).toMatchObject({
      session_id: expect.any(String),
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) },
    });
    expect(await readdir(root)).not.toContain('answers.jsonl.partial');
  });

  it('fails with a clear message and writes nothing when the input is missing', async () => {
    // Act
    const result = await batch(join(root, 'missing.jsonl'), join(root, 'out.jsonl'), '--data-dir', dataDir);
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr.at(-1)).toMatch(
      /^batch: ENOENT: no such file or directory, open '.*missing\.jsonl'$/,
    );
    expect(await readdir(root)).not.toContain('out.jsonl');
  });
});
