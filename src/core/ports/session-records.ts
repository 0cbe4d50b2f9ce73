import type { Turn } from './types.js';

/** One page of a listing; `pageToken` is the previous page's `nextPageToken`. */
export interface PageRequest {
  /** At most this many items (a positive integer). */
  readonly pageSize: number;
  readonly pageToken?: string;
}

export interface TurnPage {
  /** Oldest first. */
  readonly turns: readonly Turn[];
  /** Absent on the last page. */
  readonly nextPageToken?: string;
}

export interface SessionSummary {
  readonly sessionId: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch milliseconds after which the session is gone unless it is used again. */
  readonly expiresAt: number;
}

export interface SessionSummaryPage {
  /** Newest first. */
  readonly sessions: readonly SessionSummary[];
  readonly nextPageToken?: string;
}

/** A rating of a session's answers, stored beside its turns and erased with them. */
export interface Feedback {
  readonly sessionId: string;
  readonly principal: string;
  readonly rating: 1 | -1;
  readonly comment?: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/**
 * What the session API reads and erases. Ownership is checked by the caller with `owner`:
 * these methods trust that the session belongs to whoever asks.
 */
export interface SessionRecords {
  /** The principal owning a live session, or undefined when there is none or it has expired. */
  owner(sessionId: string): Promise<string | undefined>;
  listTurns(sessionId: string, page: PageRequest): Promise<TurnPage>;
  listSessions(principal: string, page: PageRequest): Promise<SessionSummaryPage>;
  /** Erases every item of the session; erasing a missing session is a no-op. */
  deleteSession(sessionId: string): Promise<void>;
  /** Stores the feedback and returns its id. */
  addFeedback(feedback: Feedback): Promise<string>;
}
