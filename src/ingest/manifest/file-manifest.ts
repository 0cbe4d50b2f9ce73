import { createWriteStream, type WriteStream } from 'node:fs';
import { appendFile, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { comparePaths } from '../documents/document-source.js';
import type { DocumentManifest, ManifestEntry, ManifestRecord } from './document-manifest.js';

/** Another ingest of the same source is running (or crashed without removing its lock on this host). */
export class ManifestLockedError extends Error {
  constructor(path: string, pid: number) {
    super(
      `Another ingest (process ${pid}) is updating ${path}; wait for it to finish. ` +
        `If no such process runs any more, delete ${path}.lock.`,
    );
    this.name = new.target.name;
  }
}

export class CorruptManifestError extends Error {
  constructor(path: string, line: number, options?: { cause?: unknown }) {
    super(
      `The manifest ${path} is damaged at line ${line}; delete it and ingest again (nothing is re-embedded twice).`,
      options,
    );
    this.name = new.target.name;
  }
}

/** One line of the journal: a document's entry after a checkpoint, or null once it is gone. */
interface JournalLine {
  readonly path: string;
  readonly entry: ManifestEntry | null;
}

/**
 * The local manifest: a JSON Lines file of entries in path order, streamed, never loaded whole.
 *
 * A reconcile writes the next version of the file as it goes (every document arrives in path
 * order) and renames it over the old one when it completes. So that a run that dies midway loses
 * nothing, each checkpoint's changes are also appended to a journal beside the file; the next run
 * reads the journal (only as large as the work done before the crash) over the old file, and
 * deletes it when it completes. A lock file keeps two ingests of one source apart.
 */
export class FileManifest implements DocumentManifest {
  private next: WriteStream | undefined;
  private nextFailed: Error | undefined;

  private constructor(
    readonly path: string,
    private readonly journal: ReadonlyMap<string, ManifestEntry | null>,
  ) {}

  static async open(path: string): Promise<FileManifest> {
    await mkdir(dirname(path), { recursive: true });
    await acquireLock(`${path}.lock`, path);
    try {
      return new FileManifest(path, await readJournal(`${path}.journal`));
    } catch (error) {
      await rm(`${path}.lock`, { force: true });
      throw error;
    }
  }

  async *entries(): AsyncGenerator<ManifestEntry> {
    const pending = [...this.journal.keys()].sort(comparePaths);
    let next = 0;
    for await (const entry of this.baseEntries()) {
      while (next < pending.length && comparePaths(pending[next] as string, entry.path) < 0) {
        const journaled = this.journal.get(pending[next++] as string);
        if (journaled) yield journaled;
      }
      if (next < pending.length && pending[next] === entry.path) {
        const journaled = this.journal.get(pending[next++] as string);
        if (journaled) yield journaled;
      } else {
        yield entry;
      }
    }
    for (; next < pending.length; next++) {
      const journaled = this.journal.get(pending[next] as string);
      if (journaled) yield journaled;
    }
  }

  async record(records: readonly ManifestRecord[]): Promise<void> {
    const changed = records.filter((record) => record.changed);
    if (changed.length > 0) {
      const lines = changed.map((record) =>
        JSON.stringify({ path: record.path, entry: record.entry ?? null }),
      );
      await appendFile(`${this.path}.journal`, `${lines.join('\n')}\n`);
    }
    this.next ??= this.openNext();
    for (const record of records) {
      if (record.entry && !this.next.write(`${JSON.stringify(record.entry)}\n`)) {
        await new Promise<void>((resolve) => this.next?.once('drain', resolve));
      }
    }
  }

  async complete(): Promise<void> {
    this.next ??= this.openNext();
    const stream = this.next;
    await new Promise<void>((resolve, reject) =>
      stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    if (this.nextFailed) throw this.nextFailed;
    await rename(`${this.path}.next`, this.path);
    this.next = undefined;
    await rm(`${this.path}.journal`, { force: true });
  }

  async release(): Promise<void> {
    if (this.next) {
      const stream = this.next;
      await new Promise<void>((resolve) => stream.end(() => resolve()));
      await rm(`${this.path}.next`, { force: true });
    }
    await rm(`${this.path}.lock`, { force: true });
  }

  private openNext(): WriteStream {
    const stream = createWriteStream(`${this.path}.next`);
    stream.on('error', (error) => (this.nextFailed = error));
    return stream;
  }

  private async *baseEntries(): AsyncGenerator<ManifestEntry> {
    const file = await open(this.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!file) return;
    const lines = createInterface({ input: file.createReadStream(), crlfDelay: Infinity });
    let number = 0;
    try {
      for await (const line of lines) {
        number++;
        if (line.trim() === '') continue;
        yield parseEntry(line, this.path, number);
      }
    } finally {
      lines.close();
      await file.close().catch(() => undefined);
    }
  }
}

function parseEntry(line: string, path: string, number: number): ManifestEntry {
  try {
    const value = JSON.parse(line) as ManifestEntry;
    if (typeof value.path !== 'string' || !Array.isArray(value.chunkIds)) throw new Error('not an entry');
    return value;
  } catch (error) {
    throw new CorruptManifestError(path, number, { cause: error });
  }
}

async function readJournal(path: string): Promise<Map<string, ManifestEntry | null>> {
  const journal = new Map<string, ManifestEntry | null>();
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let parsed: JournalLine;
    try {
      parsed = JSON.parse(line) as JournalLine;
    } catch (error) {
      // A crash can cut the last line short: what it described is redone by this run.
      if (i === lines.length - 1 || lines.slice(i + 1).every((rest) => rest.trim() === '')) break;
      throw new CorruptManifestError(path, i + 1, { cause: error });
    }
    journal.set(parsed.path, parsed.entry);
  }
  return journal;
}

async function acquireLock(lockPath: string, manifestPath: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(await readFile(lockPath, 'utf8').catch(() => ''));
      if (Number.isInteger(pid) && pid > 0 && isRunning(pid))
        throw new ManifestLockedError(manifestPath, pid);
      // The process that held it is gone: the lock is stale.
      await rm(lockPath, { force: true });
    }
  }
  throw new ManifestLockedError(manifestPath, 0);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
