import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { PINECONE_DATA_PLANE_PATH, PineconeDataPlane } from '../../src/adapters/pinecone/data-plane.js';

const require = createRequire(import.meta.url);

describe('Pinecone data-plane import', () => {
  it('still finds the index-only class on its internal path, in the pinned SDK version', async () => {
    // Prepare
    const manifest = JSON.parse(
      await readFile(require.resolve('@pinecone-database/pinecone/package.json'), 'utf8'),
    ) as { version: string };
    const ours = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    // Act
    const module = (await import(PINECONE_DATA_PLANE_PATH)) as { Index?: unknown };
    // Assess: a new SDK version must be checked by hand (the path is undocumented), then pinned here.
    expect(ours.dependencies['@pinecone-database/pinecone']).toBe('8.2.0');
    expect(manifest.version).toBe('8.2.0');
    expect(module.Index).toBe(PineconeDataPlane);
    for (const method of ['query', 'upsert', 'deleteMany', 'listPaginated']) {
      expect(typeof (PineconeDataPlane.prototype as unknown as Record<string, unknown>)[method]).toBe(
        'function',
      );
    }
  });

  it('loads less than the main entry: no admin, assistant or inference clients', async () => {
    // Act
    const source = await readFile(require.resolve(PINECONE_DATA_PLANE_PATH), 'utf8');
    // Assess
    expect(source).not.toMatch(/require\("\.\.\/(assistant|admin|inference)/);
  });
});
