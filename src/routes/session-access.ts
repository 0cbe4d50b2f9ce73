import { InvalidParameterError, PermissionDeniedError, ResourceNotFoundError } from '../core/errors.js';
import type { SessionRecords } from '../core/ports/session-records.js';
import { validateSessionId } from '../core/protocol/records.js';
import type { Principal } from '../auth/principal.js';

/**
 * The session id of a request, checked to belong to the caller: 404 when there is no live
 * session of that id, 403 when it belongs to someone else. Nothing of the session is read first.
 */
export async function ownedSessionId(
  sessions: Pick<SessionRecords, 'owner'>,
  principal: Principal,
  rawSessionId: unknown,
  where: string,
): Promise<string> {
  const sessionId = validateSessionId(where, rawSessionId);
  if (sessionId === undefined) throw new InvalidParameterError(`${where}: 'session_id' is required.`);
  const owner = await sessions.owner(sessionId);
  if (owner === undefined) {
    throw new ResourceNotFoundError(`Session '${sessionId}' does not exist or has expired.`);
  }
  if (owner !== principal.id) {
    throw new PermissionDeniedError(`Session '${sessionId}' belongs to another principal.`);
  }
  return sessionId;
}
