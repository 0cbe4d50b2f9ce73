/**
 * The `data:` payloads of a `text/event-stream` body, one per event, as they arrive. Comments,
 * `event:` and `id:` lines are skipped; multi-line data is joined with newlines, as the spec says.
 */
export async function* serverSentData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffered = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffered += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const events = buffered.split(/\r?\n\r?\n/);
      buffered = done ? '' : (events.pop() ?? '');
      for (const event of events) {
        const data = event
          .split(/\r?\n/)
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
        if (data.length > 0) yield data.join('\n');
      }
      if (done) return;
    }
  } finally {
    // Stops the download when the consumer leaves early (break, abort, error).
    await reader.cancel().catch(() => undefined);
  }
}
