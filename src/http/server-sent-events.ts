import { Readable } from 'node:stream';
import { reportStreamFailure } from './response-completion.js';

export const EVENT_STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  // Proxies must not buffer the stream, or the first event waits for the last.
  'x-accel-buffering': 'no',
} as const;

export interface ServerSentEventsOptions {
  /** The event that ends a stream that went wrong; the stream then ends without the done marker. */
  readonly errorEvent: (error: unknown) => unknown;
  /** Sent as `data: <marker>` after the last event, as OpenAI's `[DONE]`. */
  readonly doneMarker?: string;
  /** Runs when the stream has ended, failed or been abandoned by the caller (possibly twice: make it idempotent). */
  readonly onClose?: () => void;
}

/**
 * A response body of server-sent events, one JSON `data:` line per event, written as each event
 * is produced. The body itself never fails: once the status line is out, a failure can only be
 * told as a last event, so it is sent as one.
 */
export function serverSentEvents(events: AsyncIterable<unknown>, options: ServerSentEventsOptions): Readable {
  async function* encode(): AsyncGenerator<string> {
    try {
      for await (const event of events) yield `data: ${JSON.stringify(event)}\n\n`;
      if (options.doneMarker !== undefined) yield `data: ${options.doneMarker}\n\n`;
    } catch (error) {
      // The status line said 200; the completion listeners still count this as a server error.
      reportStreamFailure(body, error);
      yield `data: ${JSON.stringify(options.errorEvent(error))}\n\n`;
    } finally {
      options.onClose?.();
    }
  }
  const body = Readable.from(encode(), { objectMode: false });
  // A caller that goes away destroys the body while it may be waiting on the model; closing now
  // (not only when the generator next resumes) lets the backends stop at once.
  body.once('close', () => options.onClose?.());
  return body;
}
