import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runIngestCommand } from '../../src/cli/ingest.js';

const run = promisify(execFile);
const SUMMARY =
  /^Ingested (\S+) as source '([^']+)': (\d+) documents \((\d+) added, (\d+) updated, (\d+) deleted, (\d+) unchanged, (\d+) failed, (\d+) skipped\), (\d+) chunks written, (\d+) removed, (\d+) embedding tokens in \d+\.\d\d s \(\d+ documents\/s\)$/;

let root: string;
let docs: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ingest-cli-'));
  docs = join(root, 'handbook');
  await mkdir(docs);
  await writeFile(join(docs, 'a.md'), '# Alpha\n\nThe alpha page explains the first topic in a few words.');
  await writeFile(join(docs, 'b.txt'), 'Beta\n\nThe beta page explains the second topic in a few words.');
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(root, { recursive: true, force: true });
});

async function ingest(...args: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void stdout.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void stderr.push(line));
  const code = await runIngestCommand(['node', 'ingest', ...args]);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

describe('ingest CLI', () => {
  it('ends with a one-line summary and names the source after the folder', async () => {
    // Act
    const first = await ingest(docs, '--data-dir', join(root, 'data'));
    const second = await ingest(docs, '--data-dir', join(root, 'data'));
    // Assess
    expect(first.code).toBe(0);
    expect(first.stdout).toHaveLength(1);
    expect(SUMMARY.exec(first.stdout[0] ?? '')?.slice(1, 12)).toEqual([
      docs,
      'handbook',
      '2',
      '2',
      '0',
      '0',
      '0',
      '0',
      '0',
      '2',
      '0',
    ]);
    expect(SUMMARY.exec(second.stdout[0] ?? '')?.slice(3, 12)).toEqual([
      '2',
      '0',
      '0',
      '0',
      '2',
      '0',
      '0',
      '0',
      '0',
    ]);
    expect((await readdir(join(root, 'data'))).sort()).toEqual(['index.bin', 'manifests']);
    expect(await readdir(join(root, 'data', 'manifests', 'default'))).toEqual(['handbook.jsonl']);
  });

  it('uses --source and RAG_DATA_DIR', async () => {
    // Prepare
    vi.stubEnv('RAG_DATA_DIR', join(root, 'env-data'));
    // Act
    const result = await ingest(docs, '--source', 'hr');
    vi.unstubAllEnvs();
    // Assess
    expect(SUMMARY.exec(result.stdout[0] ?? '')?.[2]).toBe('hr');
    expect((await readdir(join(root, 'env-data'))).sort()).toEqual(['index.bin', 'manifests']);
  });

  it('exits with 1 and a clear message for a missing directory', async () => {
    // Act
    const result = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/ingest.ts', join(root, 'nope'), '--data-dir', join(root, 'data')],
      {
        cwd: join(import.meta.dirname, '..', '..'),
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`The directory '${join(root, 'nope')}' does not exist`);
  });
});
