import { principalFromEvent, requireScope } from '../auth/principal.js';
import type { Clock } from '../core/ports/clock.js';
import type { SessionRecords } from '../core/ports/session-records.js';
import { BadRequestError, InvalidParameterError } from '../core/errors.js';
import { parseJsonObjectBody } from '../core/protocol/request-body.js';
import { header, jsonResponse, type HttpResponse, type ProxyEvent } from '../http/types.js';
import { ownedSessionId } from './session-access.js';

export interface FeedbackRouteOptions {
  readonly sessions: SessionRecords;
  readonly clock: Clock;
}

export const MAX_FEEDBACK_COMMENT_CHARS = 2000;
const FEEDBACK_FIELDS = new Set(['session_id', 'rating', 'comment']);

function parseFeedback(body: Record<string, unknown>): { rating: 1 | -1; comment?: string } {
  const unknown = Object.keys(body).filter((key) => !FEEDBACK_FIELDS.has(key));
  if (unknown.length > 0) {
    throw new BadRequestError(
      `Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; allowed: session_id, rating, comment.`,
    );
  }
  const { rating, comment } = body;
  if (rating !== 1 && rating !== -1) {
    throw new InvalidParameterError(`'rating' must be 1 (helpful) or -1 (not helpful).`);
  }
  if (comment === undefined || comment === null) return { rating };
  if (typeof comment !== 'string') throw new InvalidParameterError(`'comment' must be a string.`);
  if (comment.length > MAX_FEEDBACK_COMMENT_CHARS) {
    throw new InvalidParameterError(
      `'comment' has ${comment.length} characters; the limit is ${MAX_FEEDBACK_COMMENT_CHARS}.`,
    );
  }
  return { rating, comment };
}

/**
 * `POST /feedback` with `{session_id, rating: 1|-1, comment?}`: stored in the session's partition,
 * so it is erased with the session. Only the session's owner may rate it (`invoke` scope).
 */
export function feedbackRoute({ sessions, clock }: FeedbackRouteOptions) {
  return async (event: ProxyEvent): Promise<HttpResponse> => {
    const principal = principalFromEvent(event);
    requireScope(principal, 'invoke');
    const body = parseJsonObjectBody({
      body: event.body,
      isBase64Encoded: event.isBase64Encoded,
      contentType: header(event, 'content-type'),
    });
    const feedback = parseFeedback(body);
    const sessionId = await ownedSessionId(sessions, principal, body.session_id, 'feedback');
    const feedbackId = await sessions.addFeedback({
      sessionId,
      principal: principal.id,
      ...feedback,
      createdAt: clock.now(),
    });
    return jsonResponse(201, { feedback_id: feedbackId, session_id: sessionId });
  };
}
