import { formatOf } from '../chunker.js';

/** A document that cannot be turned into text: binary, not UTF-8, a corrupt PDF, ... */
export class UnreadableDocumentError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = new.target.name;
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The document's text, to be chunked by its format; UnreadableDocumentError says why not. */
export async function extractText(path: string, bytes: Uint8Array): Promise<string> {
  const text = formatOf(path) === 'pdf' ? await pdfText(bytes) : utf8Text(bytes);
  if (text.trim() === '') throw new UnreadableDocumentError('empty');
  return text;
}

function utf8Text(bytes: Uint8Array): string {
  if (bytes.subarray(0, 8192).includes(0)) throw new UnreadableDocumentError('binary content');
  try {
    return UTF8.decode(bytes);
  } catch (error) {
    throw new UnreadableDocumentError('not valid UTF-8', { cause: error });
  }
}

/**
 * The text of every page, pages separated by a blank line so that they chunk as paragraphs.
 * unpdf (Mozilla's pdf.js, built for servers) is loaded on the first PDF only: most corpora have
 * none, and pdf.js is large.
 */
async function pdfText(bytes: Uint8Array): Promise<string> {
  const { getDocumentProxy, extractText: pdfPages } = await import('unpdf');
  try {
    // pdf.js takes ownership of (and detaches) the buffer it is given, so it gets a copy.
    const pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
    try {
      const { text } = await pdfPages(pdf, { mergePages: false });
      return text.map((page) => page.trim()).join('\n\n');
    } finally {
      await pdf.destroy();
    }
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new UnreadableDocumentError(`corrupt or unreadable PDF (${detail})`, { cause: error });
  }
}
