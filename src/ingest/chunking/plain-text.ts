import { Outline } from './outline.js';
import type { ParsedDocument } from './outline.js';

const UNDERLINE = /^\s*(={3,}|-{3,})\s*$/;
const SMALL_WORDS = new Set(
  'a an and as at but by for from in into is of on or per the to via vs with without'.split(' '),
);

/** Plain text: the title on the first line, underlined or short title-like headings. */
export function parsePlainText(content: string): ParsedDocument {
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
