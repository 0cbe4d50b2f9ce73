import type { Turn } from './types.js';

export interface SessionStore {
  /**
   * Records the owner of a session on its first turn; returns the owner on record,
   * which differs from `principal` when somebody else created the session.
   */
  claim(sessionId: string, principal: string): Promise<string>;
  /** The last `limit` unexpired turns, oldest first. */
  recent(sessionId: string, limit: number): Promise<readonly Turn[]>;
  /** Stores one turn; concurrent appends to one session must all persist. */
  append(turn: Turn): Promise<void>;
}
