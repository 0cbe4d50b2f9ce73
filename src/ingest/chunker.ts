import type { Chunk } from '../core/ports/types.js';
import { toChunk, titleFromPath } from './chunking/chunk-record.js';
import { parseHtmlDocument } from './chunking/html.js';
import { parseMarkdown } from './chunking/markdown.js';
import type { ParsedDocument } from './chunking/outline.js';
import { packSections } from './chunking/pack-sections.js';
import { parsePlainText } from './chunking/plain-text.js';

/**
 * Heading-aware chunking (DESIGN 4b): a document becomes sections by its headings,
 * sections become chunks of whole paragraphs, and each chunk's title carries the
 * document title plus its heading path so that it can be indexed as its own field.
 */

export interface SourceDocument {
  /** The ingested folder's source name; it prefixes every chunk id. */
  readonly source: string;
  /** Path inside the ingested folder, with `/` separators. */
  readonly relativePath: string;
  readonly content: string;
}

export interface ChunkingOptions {
  /** A chunk stops growing once it has this many words. @default 350 */
  readonly targetWords?: number;
  /** No chunk exceeds this many words, except a single unsplittable word run. @default 500 */
  readonly maxWords?: number;
  /** Words repeated from the previous chunk when a section is split. @default 50 */
  readonly overlapWords?: number;
  /** A chunk shorter than this absorbs the next section when the whole section fits. @default 120 */
  readonly minWords?: number;
}

/** `pdf` is chunked from the text extracted from its pages (see documents/extract-text.ts). */
export type DocumentFormat = 'markdown' | 'html' | 'text' | 'pdf';

export class UnsupportedDocumentFormatError extends Error {
  constructor(readonly relativePath: string) {
    super(
      `Cannot chunk '${relativePath}': only .md, .markdown, .txt, .html, .htm and .pdf files are supported.`,
    );
    this.name = new.target.name;
  }
}

const DEFAULTS: Required<ChunkingOptions> = {
  targetWords: 350,
  maxWords: 500,
  overlapWords: 50,
  minWords: 120,
};

/** The format a file is chunked as, by its extension; undefined when it is not a document. */
export function formatOf(path: string): DocumentFormat | undefined {
  const extension = /\.([^./\\]+)$/.exec(path)?.[1]?.toLowerCase();
  if (extension === 'md' || extension === 'markdown') return 'markdown';
  if (extension === 'html' || extension === 'htm') return 'html';
  if (extension === 'txt') return 'text';
  if (extension === 'pdf') return 'pdf';
  return undefined;
}

/** Splits one document into chunks with deterministic ids; an empty document gives none. */
export function chunkDocument(document: SourceDocument, options: ChunkingOptions = {}): Chunk[] {
  const format = formatOf(document.relativePath);
  if (!format) throw new UnsupportedDocumentFormatError(document.relativePath);
  const settings = { ...DEFAULTS, ...options };
  const content = document.content.replace(/^\uFEFF/, '');
  const parsed = PARSERS[format](content);
  const title = parsed.title ?? titleFromPath(document.relativePath);
  return packSections(parsed.sections, settings).map((draft, position) =>
    toChunk(document, title, draft, position),
  );
}

const PARSERS: Record<DocumentFormat, (content: string) => ParsedDocument> = {
  markdown: parseMarkdown,
  html: parseHtmlDocument,
  text: parsePlainText,
  pdf: parsePlainText,
};
