import { InvalidParameterError } from '../core/errors.js';
import type { PageRequest } from '../core/ports/session-records.js';
import type { ProxyEvent } from './types.js';

export const PAGE_SIZE = { default: 20, max: 100 } as const;
/** Our page tokens are short; anything longer was not issued by this service. */
const MAX_PAGE_TOKEN_CHARS = 1024;

/** `?page_size=` (1–100, default 20) and `?page_token=` of a listing route. */
export function pageRequestOf(event: Pick<ProxyEvent, 'queryStringParameters'>): PageRequest {
  const query = event.queryStringParameters ?? {};
  const rawSize = query.page_size;
  let pageSize: number = PAGE_SIZE.default;
  if (rawSize !== undefined) {
    pageSize = /^\d{1,4}$/.test(rawSize) ? Number(rawSize) : Number.NaN;
    if (!(pageSize >= 1 && pageSize <= PAGE_SIZE.max)) {
      throw new InvalidParameterError(`page_size must be an integer from 1 to ${PAGE_SIZE.max}.`);
    }
  }
  const pageToken = query.page_token;
  if (pageToken === undefined || pageToken === '') return { pageSize };
  if (pageToken.length > MAX_PAGE_TOKEN_CHARS) {
    throw new InvalidParameterError('page_token is not a token this service issued.');
  }
  return { pageSize, pageToken };
}
