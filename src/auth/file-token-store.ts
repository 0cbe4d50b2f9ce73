import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TokenRecord, TokenStore } from './token-store.js';

/** Token records in a JSON file (mode 0600), for the local server and CLI. Holds hashes only. */
export class FileTokenStore implements TokenStore {
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

  async put(record: TokenRecord): Promise<void> {
    const records = [...(await this.list()).filter((r) => r.tokenId !== record.tokenId), record];
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(records, null, 2), { mode: 0o600 });
    await rename(temporary, this.path);
  }
}
