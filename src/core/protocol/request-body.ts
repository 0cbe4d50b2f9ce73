import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.js';
import { Limits } from '../../shared/limits.js';
import { isPlainObject } from './records.js';

export interface RawBody {
  readonly body: string | null | undefined;
  readonly isBase64Encoded?: boolean;
  readonly contentType: string | undefined;
}

/**
 * Checks the content type and size of a request body and parses it as a JSON object.
 * Runs in the handler (not only in the local HTTP adapter) so the same rules hold behind API Gateway.
 */
export function parseJsonObjectBody({
  body,
  isBase64Encoded,
  contentType,
}: RawBody): Record<string, unknown> {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json' && !mediaType?.endsWith('+json')) {
    throw new UnsupportedMediaTypeError(
      `Content-Type must be application/json, got ${mediaType ? `'${mediaType}'` : 'none'}.`,
    );
  }
  const text = isBase64Encoded && body ? Buffer.from(body, 'base64').toString('utf8') : (body ?? '');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > Limits.maxBodyBytes) {
    throw new PayloadTooLargeError(
      `The request body has ${bytes} bytes; the limit is ${Limits.maxBodyBytes} bytes.`,
    );
  }
  if (text.trim() === '') throw new BadRequestError('The request body is empty; send a JSON object.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(`The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(parsed)) throw new BadRequestError('The request body must be a JSON object.');
  return parsed;
}
