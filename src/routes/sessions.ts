import { principalFromEvent, requireScope } from '../auth/principal.js';
import type { SessionRecords } from '../core/ports/session-records.js';
import type { Turn } from '../core/ports/types.js';
import { pageRequestOf } from '../http/pagination.js';
import { jsonResponse, type HttpResponse, type ProxyEvent } from '../http/types.js';
import { ownedSessionId } from './session-access.js';

export interface SessionRoutesOptions {
  readonly sessions: SessionRecords;
}

const isoTime = (epochMs: number): string => new Date(epochMs).toISOString();

function toWireTurn(turn: Turn) {
  return {
    query: turn.query,
    response: turn.response,
    sources: turn.sources.map(({ id, source, score, text }) => ({ id, source, score, text })),
    created_at: isoTime(turn.createdAt),
  };
}

/** `GET /sessions/{id}`: the owner's turns, oldest first, a page at a time (`sessions:read`). */
export function getSessionRoute({ sessions }: SessionRoutesOptions) {
  return async (event: ProxyEvent): Promise<HttpResponse> => {
    const principal = principalFromEvent(event);
    requireScope(principal, 'sessions:read');
    const page = pageRequestOf(event);
    const sessionId = await ownedSessionId(sessions, principal, event.pathParameters?.id, 'path');
    const { turns, nextPageToken } = await sessions.listTurns(sessionId, page);
    return jsonResponse(200, {
      session_id: sessionId,
      turns: turns.map(toWireTurn),
      ...(nextPageToken !== undefined && { next_page_token: nextPageToken }),
    });
  };
}

/**
 * `DELETE /sessions/{id}`: erases every turn and the session itself (`sessions:delete`).
 * 204 once erased; a second call finds nothing and answers 404, as the session is gone.
 */
export function deleteSessionRoute({ sessions }: SessionRoutesOptions) {
  return async (event: ProxyEvent): Promise<HttpResponse> => {
    const principal = principalFromEvent(event);
    requireScope(principal, 'sessions:delete');
    const sessionId = await ownedSessionId(sessions, principal, event.pathParameters?.id, 'path');
    await sessions.deleteSession(sessionId);
    return { statusCode: 204, headers: {}, body: '' };
  };
}

/** `GET /sessions`: the caller's live sessions, newest first, a page at a time (`sessions:read`). */
export function listSessionsRoute({ sessions }: SessionRoutesOptions) {
  return async (event: ProxyEvent): Promise<HttpResponse> => {
    const principal = principalFromEvent(event);
    requireScope(principal, 'sessions:read');
    const page = await sessions.listSessions(principal.id, pageRequestOf(event));
    return jsonResponse(200, {
      sessions: page.sessions.map((session) => ({
        session_id: session.sessionId,
        created_at: isoTime(session.createdAt),
        expires_at: isoTime(session.expiresAt),
      })),
      ...(page.nextPageToken !== undefined && { next_page_token: page.nextPageToken }),
    });
  };
}
