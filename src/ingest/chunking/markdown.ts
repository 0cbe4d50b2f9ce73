import { FENCE, isClosingFence } from './markdown-fence.js';
import { Outline } from './outline.js';
import type { ParsedDocument } from './outline.js';

const ATX_HEADING = /^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)\s*$/;

/**
 * Markdown: sections by ATX and setext headings, never inside fenced code; the title from
 * the first top-level heading, else from the front matter.
 */
export function parseMarkdown(content: string): ParsedDocument {
  const outline = new Outline();
  const { body, frontMatterTitle } = withoutFrontMatter(content);
  let title: string | undefined;
  let paragraph: string[] = [];
  let fence: { marker: string; lines: string[] } | undefined;

  const flushParagraph = (): void => {
    outline.block(paragraph.join('\n'));
    paragraph = [];
  };
  const headingOrTitle = (level: number, text: string): void => {
    // The first top-level heading names the document unless another heading came first.
    if (level === 1 && title === undefined && outline.sections.length === 1) title = text;
    else outline.heading(level, text);
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
      headingOrTitle((heading[1] as string).length, plainInline(heading[2] as string));
      continue;
    }
    const setext = paragraph.length > 0 ? SETEXT_UNDERLINE.exec(line) : null;
    if (setext) {
      // `Title` over `=====` or `-----`: CommonMark's other heading form, levels 1 and 2.
      const text = plainInline(paragraph.join(' '));
      paragraph = [];
      headingOrTitle((setext[1] as string).startsWith('=') ? 1 : 2, text);
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
