import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TokenRecord, TokenStore } from './token-store.js';

/**
 * Token records in a JSON file (mode 0600), for the local server and CLI. Holds hashes only.
 * Updates of one instance run one after another, so two in the same process never lose each
 * other's record; separate processes (the token CLI beside the server) rarely write at once.
 */
export class FileTokenStore implements TokenStore {
  #updates: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {}

  async find(tokenId: string): Promise<TokenRecord | undefined> {
    return (await this.list()).find((record) => record.tokenId === tokenId);
  }

  async list(): Promise<readonly TokenRecord[]> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as TokenRecord[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  put(record: TokenRecord): Promise<void> {
    return this.#update(async (records) => {
      await this.#write([...records.filter((r) => r.tokenId !== record.tokenId), record]);
    });
  }

  revoke(tokenId: string): Promise<boolean> {
    return this.#update(async (records) => {
      if (!records.some((record) => record.tokenId === tokenId)) return false;
      await this.#write(
        records.map((record) => (record.tokenId === tokenId ? { ...record, revoked: true } : record)),
      );
      return true;
    });
  }

  #update<T>(change: (records: readonly TokenRecord[]) => Promise<T>): Promise<T> {
    const next = this.#updates.then(async () => change(await this.list()));
    this.#updates = next.catch(() => undefined);
    return next;
  }

  /** Write-then-rename, so a server reading the file concurrently sees the old or the new list, never half. */
  async #write(records: readonly TokenRecord[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, JSON.stringify(records, null, 2), { mode: 0o600 });
    await rename(temporary, this.path);
  }
}
