import { createHash } from 'node:crypto';
import { HTMLElement, TextNode, parse as parseHtml } from 'node-html-parser';
import type { Node as HtmlNode } from 'node-html-parser';
import type { Chunk } from '../core/ports/types.js';

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

export type DocumentFormat = 'markdown' | 'html' | 'text';

export class UnsupportedDocumentFormatError extends Error {
  constructor(readonly relativePath: string) {
    super(`Cannot chunk '${relativePath}': only .md, .markdown, .txt, .html and .htm files are supported.`);
    this.name = new.target.name;
  }
}

const DEFAULTS: Required<ChunkingOptions> = {
  targetWords: 350,
  maxWords: 500,
  overlapWords: 50,
  minWords: 120,
};
const TITLE_SEPARATOR = ' › ';

/** The format a file is chunked as, by its extension; undefined when it is not a document. */
export function formatOf(path: string): DocumentFormat | undefined {
  const extension = /\.([^./\\]+)$/.exec(path)?.[1]?.toLowerCase();
  if (extension === 'md' || extension === 'markdown') return 'markdown';
  if (extension === 'html' || extension === 'htm') return 'html';
  if (extension === 'txt') return 'text';
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

// ---------------------------------------------------------------------------
// The document model shared by the three parsers

interface Block {
  readonly text: string;
  /** Code is split at lines and never used as sentence overlap. */
  readonly kind: 'prose' | 'code';
}

interface Section {
  /** Heading path below the document title, outermost first. */
  readonly headings: readonly string[];
  readonly blocks: Block[];
}

interface ParsedDocument {
  readonly title: string | undefined;
  readonly sections: readonly Section[];
}

/** Collects blocks under the heading path in force, as a parser walks a document. */
class Outline {
  readonly sections: Section[] = [{ headings: [], blocks: [] }];
  private readonly open: { level: number; text: string }[] = [];

  heading(level: number, text: string): void {
    while (this.open.length > 0 && (this.open.at(-1)?.level ?? 0) >= level) this.open.pop();
    this.open.push({ level, text });
    this.sections.push({ headings: this.open.map((heading) => heading.text), blocks: [] });
  }

  block(text: string, kind: Block['kind'] = 'prose'): void {
    if (text.trim() === '') return;
    this.sections.at(-1)?.blocks.push({ text, kind });
  }
}

const PARSERS: Record<DocumentFormat, (content: string) => ParsedDocument> = {
  markdown: parseMarkdown,
  html: parseHtmlDocument,
  text: parsePlainText,
};

// ---------------------------------------------------------------------------
// Markdown: ATX headings, never inside fenced code

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX_HEADING = /^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)\s*$/;

function parseMarkdown(content: string): ParsedDocument {
  const outline = new Outline();
  const { body, frontMatterTitle } = withoutFrontMatter(content);
  let title: string | undefined;
  let paragraph: string[] = [];
  let fence: { marker: string; lines: string[] } | undefined;

  const flushParagraph = (): void => {
    outline.block(paragraph.join('\n'));
    paragraph = [];
  };

  for (const line of body.split(/\r?\n/)) {
    if (fence) {
      fence.lines.push(line);
      if (isClosingFence(line, fence.marker)) {
        outline.block(fence.lines.join('\n'), 'code');
        fence = undefined;
      }
      continue;
    }
    const opening = FENCE.exec(line);
    if (opening) {
      flushParagraph();
      fence = { marker: opening[1] as string, lines: [line] };
      continue;
    }
    const heading = ATX_HEADING.exec(line);
    if (heading) {
      flushParagraph();
      const level = (heading[1] as string).length;
      const text = plainInline(heading[2] as string);
      // The first top-level heading names the document unless another heading came first.
      if (level === 1 && title === undefined && outline.sections.length === 1) title = text;
      else outline.heading(level, text);
      continue;
    }
    const setext = paragraph.length > 0 ? SETEXT_UNDERLINE.exec(line) : null;
    if (setext) {
      // `Title` over `=====` or `-----`: CommonMark's other heading form, levels 1 and 2.
      const text = plainInline(paragraph.join(' '));
      paragraph = [];
      const level = (setext[1] as string).startsWith('=') ? 1 : 2;
      if (level === 1 && title === undefined && outline.sections.length === 1) title = text;
      else outline.heading(level, text);
    } else if (line.trim() === '') {
      flushParagraph();
    } else {
      paragraph.push(line);
    }
  }
  flushParagraph();
  // An unclosed fence runs to the end of the document, as CommonMark says.
  if (fence) outline.block(fence.lines.join('\n'), 'code');
  return { title: title ?? frontMatterTitle, sections: outline.sections };
}

function isClosingFence(line: string, marker: string): boolean {
  const trimmed = line.trim();
  const fenceChar = marker[0] as string;
  return trimmed.length >= marker.length && [...trimmed].every((char) => char === fenceChar);
}

function withoutFrontMatter(content: string): { body: string; frontMatterTitle: string | undefined } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(content);
  if (!match) return { body: content, frontMatterTitle: undefined };
  const title = /^title:\s*["']?(.*?)["']?\s*$/m.exec(match[1] as string)?.[1];
  return { body: content.slice(match[0].length), frontMatterTitle: title || undefined };
}

/** Heading text without inline Markdown: code spans, emphasis and link targets. */
function plainInline(text: string): string {
  return text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/(\*\*|__)(.*?)\1/g, '$2')
    .replace(/\s+/g, ' ')
    .trim();
}

// ---------------------------------------------------------------------------
// HTML: title from <title> or the first <h1>, sections by h1–h3

const DROPPED_TAGS = new Set(['script', 'style', 'noscript', 'template', 'svg', 'head', 'nav']);
const SECTION_HEADINGS: Record<string, number> = { h1: 1, h2: 2, h3: 3 };
/** Elements whose whole text is one block. Minor headings read as a short paragraph. */
const TEXT_BLOCKS = new Set(['p', 'li', 'dt', 'dd', 'blockquote', 'figcaption', 'caption', 'h4', 'h5', 'h6']);

function parseHtmlDocument(content: string): ParsedDocument {
  // `pre` is parsed as markup (not raw text) so that `<pre><code>` yields the code, not the tags.
  const root = parseHtml(content, {
    comment: false,
    blockTextElements: { script: true, style: true, noscript: true },
  });
  const outline = new Outline();
  const pageTitle = collapse(root.querySelector('title')?.text ?? '') || undefined;
  const firstH1 = root.querySelector('h1');
  const title = pageTitle ?? (firstH1 ? collapse(firstH1.text) : undefined);
  let inline: string[] = [];

  const flushInline = (): void => {
    outline.block(collapse(inline.join('')));
    inline = [];
  };
  const visit = (node: HtmlNode): void => {
    if (node instanceof TextNode) {
      // The parser keeps `<!DOCTYPE html>` as text.
      if (!/^\s*<!/.test(node.rawText)) inline.push(node.text);
      return;
    }
    if (!(node instanceof HTMLElement)) return;
    const tag = node.tagName?.toLowerCase() ?? '';
    if (DROPPED_TAGS.has(tag)) return;
    const level = SECTION_HEADINGS[tag];
    if (level !== undefined) {
      flushInline();
      const text = collapse(node.text);
      // The <h1> that repeats the page title is the document itself, not a section of it.
      const repeatsTitle =
        node === firstH1 && title !== undefined && title.toLowerCase().includes(text.toLowerCase());
      if (text !== '' && !repeatsTitle) outline.heading(level, text);
    } else if (tag === 'pre') {
      flushInline();
      outline.block(node.text.replace(/^\n+|\s+$/g, ''), 'code');
    } else if (tag === 'tr') {
      flushInline();
      outline.block(
        node
          .querySelectorAll('th, td')
          .map((cell) => collapse(cell.text))
          .join(' | '),
      );
    } else if (TEXT_BLOCKS.has(tag)) {
      flushInline();
      outline.block(collapse(node.text));
    } else if (tag === 'br') {
      inline.push(' ');
    } else if (isInline(tag)) {
      inline.push(node.text);
    } else {
      flushInline();
      node.childNodes.forEach(visit);
      flushInline();
    }
  };
  root.childNodes.forEach(visit);
  flushInline();
  return { title, sections: outline.sections };
}

const INLINE_TAGS = new Set(
  'a abbr b bdi bdo cite code data dfn em i kbd mark q s samp small span strong sub sup time u var'.split(
    ' ',
  ),
);

function isInline(tag: string): boolean {
  return INLINE_TAGS.has(tag);
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------------------
// Plain text: title on the first line, underlined or short title-like headings

const UNDERLINE = /^\s*(={3,}|-{3,})\s*$/;
const SMALL_WORDS = new Set(
  'a an and as at but by for from in into is of on or per the to via vs with without'.split(' '),
);

function parsePlainText(content: string): ParsedDocument {
  const lines = content.split(/\r?\n/);
  const outline = new Outline();
  let title: string | undefined;
  let paragraph: string[] = [];

  const flushParagraph = (): void => {
    const only = paragraph.length === 1 ? (paragraph[0] as string) : undefined;
    // Guessed headings rank below underlined ones (`===` 1, `---` 2): ALL CAPS as a section, Title Case below it.
    if (only !== undefined && looksLikeHeading(only)) outline.heading(isAllCaps(only) ? 2 : 3, only.trim());
    else
      outline.block(
        paragraph.join('\n'),
        paragraph.every((line) => /^(\s{2,}|\t)/.test(line)) ? 'code' : 'prose',
      );
    paragraph = [];
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const underlined = line.trim() !== '' && UNDERLINE.test(lines[i + 1] ?? '');
    if (title === undefined && line.trim() !== '') {
      // A title stands alone (or over an underline); a line that runs on into more prose is content.
      const standsAlone = underlined || (lines[i + 1] ?? '').trim() === '';
      title = standsAlone && line.trim().length <= 100 ? line.trim() : '';
      if (title !== '') {
        if (underlined) i++;
        continue;
      }
    }
    if (underlined) {
      flushParagraph();
      outline.heading((lines[i + 1] as string).trim().startsWith('=') ? 1 : 2, line.trim());
      i++;
    } else if (line.trim() === '') {
      flushParagraph();
    } else {
      paragraph.push(line);
    }
  }
  flushParagraph();
  return { title: title || undefined, sections: outline.sections };
}

/** A short unindented line in Title Case or ALL CAPS that does not end like a sentence. */
function looksLikeHeading(line: string): boolean {
  if (/^\s/.test(line) || /[.,;:!]$/.test(line.trim())) return false;
  const words = line.trim().split(/\s+/);
  if (words.length > 10 || line.length > 80 || !/\p{L}/u.test(line)) return false;
  return isAllCaps(line) || isTitleCase(words);
}

function isAllCaps(line: string): boolean {
  const letters = line.replace(/[^\p{L}]/gu, '');
  return letters.length >= 2 && letters === letters.toUpperCase() && letters !== letters.toLowerCase();
}

function isTitleCase(words: readonly string[]): boolean {
  return words.every((word, i) => {
    const first = word[0] ?? '';
    if (!/\p{L}/u.test(first)) return true;
    if (i > 0 && SMALL_WORDS.has(word.toLowerCase())) return true;
    return first === first.toUpperCase() && first !== first.toLowerCase();
  });
}

// ---------------------------------------------------------------------------
// Packing sections into chunks

interface Draft {
  readonly headingPaths: (readonly string[])[];
  readonly blocks: Block[];
  words: number;
}

function packSections(sections: readonly Section[], settings: Required<ChunkingOptions>): Draft[] {
  const drafts: Draft[] = [];
  let current: Draft | undefined;

  for (const section of sections) {
    const blocks = section.blocks.flatMap((block) => splitOversized(block, settings));
    if (blocks.length === 0) continue;
    const heading = section.headings.at(-1);
    const sectionWords = blocks.reduce(
      (sum, block) => sum + countWords(block.text),
      countWords(heading ?? ''),
    );

    const absorbs =
      current !== undefined &&
      current.words < settings.minWords &&
      current.words + sectionWords <= settings.maxWords;
    if (current && absorbs) {
      // A short chunk takes in the next section whole, heading included, so small
      // sections carry enough context to be found and still read correctly.
      if (heading !== undefined) addBlock(current, { text: heading, kind: 'prose' });
      current.headingPaths.push(section.headings);
    } else {
      if (current) drafts.push(current);
      current = { headingPaths: [section.headings], blocks: [], words: 0 };
    }

    for (const block of blocks) {
      const blockWords = countWords(block.text);
      const full = current.words + blockWords > settings.maxWords || current.words >= settings.targetWords;
      if (full && current.blocks.length > 0) {
        drafts.push(current);
        const overlap = overlapFrom(current.blocks, settings.overlapWords);
        current = { headingPaths: [section.headings], blocks: [], words: 0 };
        if (overlap && countWords(overlap.text) + blockWords <= settings.maxWords) addBlock(current, overlap);
      }
      addBlock(current, block);
    }
  }
  if (current) drafts.push(current);
  return drafts;
}

function addBlock(draft: Draft, block: Block): void {
  draft.blocks.push(block);
  draft.words += countWords(block.text);
}

/**
 * The tail of the previous chunk to repeat at the start of the next: whole trailing
 * sentences up to about `overlapWords`, so a sentence on the cut keeps its context.
 */
function overlapFrom(blocks: readonly Block[], overlapWords: number): Block | undefined {
  const last = blocks.at(-1);
  if (!last || overlapWords <= 0) return undefined;
  if (last.kind === 'code') return countWords(last.text) <= overlapWords ? last : undefined;
  const sentences = splitSentences(last.text);
  const taken: string[] = [];
  let words = 0;
  for (let i = sentences.length - 1; i >= 0; i--) {
    const sentence = sentences[i] as string;
    const sentenceWords = countWords(sentence);
    if (taken.length > 0 && words + sentenceWords > overlapWords) break;
    if (taken.length === 0 && sentenceWords > overlapWords * 1.5) {
      // One long run-on sentence: repeat its last words rather than all of it.
      return { text: `… ${sentence.split(/\s+/).slice(-overlapWords).join(' ')}`, kind: 'prose' };
    }
    taken.unshift(sentence);
    words += sentenceWords;
  }
  return { text: taken.join(' '), kind: 'prose' };
}

/** Blocks longer than a chunk: code splits at lines (keeping its fence), prose at sentences. */
function splitOversized(block: Block, settings: Required<ChunkingOptions>): Block[] {
  if (countWords(block.text) <= settings.maxWords) return [block];
  if (block.kind === 'code') return splitCode(block.text, settings.targetWords);
  const pieces = splitSentences(block.text).flatMap((sentence) => splitWords(sentence, settings.targetWords));
  return groupByWords(pieces, settings.targetWords, ' ').map((text) => ({ text, kind: 'prose' }));
}

function splitCode(code: string, targetWords: number): Block[] {
  const lines = code.split('\n');
  const fence = FENCE.exec(lines[0] ?? '');
  const opening = fence ? (lines.shift() as string) : undefined;
  const closing =
    fence && lines.length > 0 && isClosingFence(lines.at(-1) as string, fence[1] as string)
      ? lines.pop()
      : undefined;
  const pieces = lines.flatMap((line) => splitWords(line, targetWords));
  return groupByWords(pieces, targetWords, '\n').map((text) => ({
    text: opening === undefined ? text : `${opening}\n${text}\n${closing ?? (fence?.[1] as string)}`,
    kind: 'code',
  }));
}

/** Joins consecutive pieces while the total stays within `limit` words. */
function groupByWords(pieces: readonly string[], limit: number, separator: string): string[] {
  const groups: string[] = [];
  let group: string[] = [];
  let words = 0;
  for (const piece of pieces) {
    const pieceWords = countWords(piece);
    if (group.length > 0 && words + pieceWords > limit) {
      groups.push(group.join(separator));
      group = [];
      words = 0;
    }
    group.push(piece);
    words += pieceWords;
  }
  if (group.length > 0) groups.push(group.join(separator));
  return groups;
}

function splitWords(text: string, limit: number): string[] {
  const words = text.split(/\s+/).filter((word) => word !== '');
  if (words.length <= limit) return [text];
  const pieces: string[] = [];
  for (let start = 0; start < words.length; start += limit)
    pieces.push(words.slice(start, start + limit).join(' '));
  return pieces;
}

function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+(?=["'([`]?[\p{Lu}\p{N}])/u)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== '');
}

function countWords(text: string): number {
  let count = 0;
  for (const piece of text.split(/\s+/)) if (piece !== '') count++;
  return count;
}

// ---------------------------------------------------------------------------
// Chunk records

function toChunk(document: SourceDocument, docTitle: string, draft: Draft, position: number): Chunk {
  const text = draft.blocks.map((block) => block.text).join('\n\n');
  const title = chunkTitle(docTitle, draft.headingPaths);
  // The title is hashed too: renaming a heading must replace the chunk, or its indexed title goes stale.
  const hash = createHash('sha256').update(`${title}\n${text}`).digest('hex').slice(0, 10);
  return {
    id: `${document.source}:${document.relativePath}#${position}-${hash}`,
    text,
    title,
    location: `${document.source}/${document.relativePath}`,
    metadata: { source: document.source, path: document.relativePath, doc_title: docTitle },
  };
}

/**
 * `Doc › Section › Subsection`. A chunk that absorbed further sections names their
 * headings after the path they share: `Doc › Section › First · Second · Nested`.
 */
function chunkTitle(docTitle: string, headingPaths: readonly (readonly string[])[]): string {
  const first = headingPaths[0] ?? [];
  let shared = first.length;
  for (const path of headingPaths) {
    let common = 0;
    while (common < Math.min(shared, path.length) && path[common] === first[common]) common++;
    shared = common;
  }
  const tails = [...new Set(headingPaths.flatMap((path) => path.slice(shared)))];
  return [docTitle, ...first.slice(0, shared), ...(tails.length > 0 ? [tails.join(' · ')] : [])].join(
    TITLE_SEPARATOR,
  );
}

/** `getting-started/running-locally.md` → `Running locally`. */
function titleFromPath(relativePath: string): string {
  const name = (relativePath.split('/').at(-1) ?? relativePath)
    .replace(/\.[^.]+$/, '')
    .replace(/[-_]+/g, ' ')
    .trim();
  return name.charAt(0).toUpperCase() + name.slice(1);
}
