import { HTMLElement, TextNode, parse as parseHtml } from 'node-html-parser';
import type { Node as HtmlNode } from 'node-html-parser';
import { Outline } from './outline.js';
import type { ParsedDocument } from './outline.js';

const DROPPED_TAGS = new Set(['script', 'style', 'noscript', 'template', 'svg', 'head', 'nav']);
const SECTION_HEADINGS: Record<string, number> = { h1: 1, h2: 2, h3: 3 };
/** Elements whose whole text is one block. Minor headings read as a short paragraph. */
const TEXT_BLOCKS = new Set(['p', 'li', 'dt', 'dd', 'blockquote', 'figcaption', 'caption', 'h4', 'h5', 'h6']);

/** HTML: the title from `<title>` or the first `<h1>`, sections by `h1`–`h3`. */
export function parseHtmlDocument(content: string): ParsedDocument {
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
