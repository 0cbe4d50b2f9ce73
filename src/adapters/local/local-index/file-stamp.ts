import { stat } from 'node:fs/promises';

/**
 * How a reader notices that another process replaced the index file: one `stat`, compared
 * with the stamp of the version in memory.
 */

/** Identifies one version of the file; rename gives a new inode, a rewrite a new mtime or size. */
export interface FileStamp {
  readonly mtimeMs: number;
  readonly size: number;
  readonly ino: number;
}

/** The stamp of the file at `path`, or null when there is none. */
export async function stampOf(path: string): Promise<FileStamp | null> {
  try {
    const { mtimeMs, size, ino } = await stat(path);
    return { mtimeMs, size, ino };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Whether two looks saw the same version; an unknown (undefined) stamp matches nothing. */
export function sameStamp(a: FileStamp | null | undefined, b: FileStamp | null | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a === null || b === null) return a === b;
  return a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;
}
