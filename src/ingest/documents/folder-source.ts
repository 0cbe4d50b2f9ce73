import type { Dirent } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  DocumentGoneError,
  DocumentSourceError,
  comparePaths,
  isDocumentPath,
  type DocumentSource,
  type SourceEntry,
} from './document-source.js';

/** The folder to ingest does not exist or is not a directory. */
export class IngestDirectoryNotFoundError extends DocumentSourceError {
  constructor(readonly dir: string) {
    super(`The directory '${dir}' does not exist or is not a directory.`);
  }
}

/**
 * Documents under a local folder. The walk is depth-first with each directory's entries sorted so
 * that the whole listing comes out in byte order of the relative paths (a directory `a` sorts as
 * `a/`), one directory in memory at a time. Symbolic links are not followed, so a link cycle
 * cannot make the walk endless.
 */
export class FolderSource implements DocumentSource {
  readonly description: string;
  private readonly root: string;

  constructor(dir: string) {
    this.description = dir;
    this.root = resolve(dir);
  }

  async *list(abortSignal?: AbortSignal): AsyncGenerator<SourceEntry> {
    const info = await stat(this.root).catch(() => undefined);
    if (!info?.isDirectory()) throw new IngestDirectoryNotFoundError(this.description);
    yield* this.walk('', abortSignal);
  }

  /** How many documents `list` will yield (a walk without reading anything), for a progress bar. */
  async count(abortSignal?: AbortSignal): Promise<number> {
    let documents = 0;
    for await (const _ of this.list(abortSignal)) documents++;
    return documents;
  }

  async read(path: string): Promise<Uint8Array> {
    try {
      return await readFile(this.absolute(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new DocumentGoneError(path, { cause: error });
      throw error;
    }
  }

  async stat(path: string): Promise<SourceEntry | undefined> {
    const info = await stat(this.absolute(path)).catch(() => undefined);
    return info?.isFile() ? { path, size: info.size, version: fileVersion(info) } : undefined;
  }

  private absolute(path: string): string {
    return join(this.root, ...path.split('/'));
  }

  private async *walk(relative: string, abortSignal: AbortSignal | undefined): AsyncGenerator<SourceEntry> {
    abortSignal?.throwIfAborted();
    const entries = await readdir(join(this.root, ...relative.split('/').filter(Boolean)), {
      withFileTypes: true,
    });
    const sorted = entries
      .filter((entry) => entry.isDirectory() || entry.isFile())
      .map((entry) => ({ entry, key: entry.isDirectory() ? `${entry.name}/` : entry.name }))
      .sort((a, b) => comparePaths(a.key, b.key));
    for (const { entry } of sorted) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!isHidden(entry)) yield* this.walk(path, abortSignal);
      } else if (isDocumentPath(path)) {
        const listed = await this.stat(path);
        if (listed) yield listed;
      }
    }
  }
}

const isHidden = (entry: Dirent): boolean => entry.name.startsWith('.') || entry.name === 'node_modules';

/** Size and modification time: a touched or rewritten file gets a new version and is read again. */
function fileVersion(info: { size: number; mtimeMs: number }): string {
  return `${info.size}:${Math.trunc(info.mtimeMs)}`;
}
