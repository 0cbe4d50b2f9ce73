/**
 * Sentences of a retrieved passage, as candidates for an extractive answer: Markdown
 * structure resolved into paragraphs, list items and labelled table rows, then split at
 * sentence ends and cleaned of the markup an answer should not show.
 */

export interface PassageSentence {
  /** The sentence as an answer shows it. */
  readonly text: string;
  /** What the question's terms are matched against: the sentence, or a table row's cells. */
  readonly matchText: string;
  /** A table row's column names, which match at a discount; empty for prose. */
  readonly labelText: string;
  /** The sentence ends in a colon: it announces a list or an example rather than answering. */
  readonly leadIn: boolean;
}

/** The sentences of a passage in reading order. */
export function passageSentences(text: string): PassageSentence[] {
  return passageUnits(text).flatMap(unitSentences);
}

interface Unit {
  readonly text: string;
  /**
   * Set for table rows, which are kept whole: splitting one would separate a value from its
   * column names. Column names match at a discount, or a column name would match every row.
   */
  readonly row?: { readonly cells: string; readonly columns: string };
}

const FENCE = /^(```|~~~)/;
const HEADING = /^#{1,6}\s/;
const RULE = /^([-*_=])(\s*\1){2,}$/;
const TABLE_SEPARATOR = /^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$/;
const LIST_ITEM = /^([-*+]|\d{1,3}[.)])\s+/;

/**
 * Cuts a passage into units a sentence splitter can handle: paragraphs (wrapped lines joined),
 * list items, and table rows labelled with their column names. Headings, rules and fenced code
 * are dropped: a heading repeats the question without answering it, and code flattened into a
 * line of prose reads as noise.
 */
function passageUnits(text: string): Unit[] {
  const units: Unit[] = [];
  let paragraph: string[] = [];
  let inFence = false;
  let header: string[] | undefined;
  let previousRow: string[] | undefined;
  const flush = (): void => {
    if (paragraph.length > 0) units.push({ text: paragraph.join(' ') });
    paragraph = [];
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (FENCE.test(line)) {
      flush();
      inFence = !inFence;
      continue;
    }
    if (inFence) continue;
    if (line.startsWith('|')) {
      flush();
      if (TABLE_SEPARATOR.test(line)) {
        // The row above a separator was the header: it names the columns, it is not content.
        if (previousRow) units.pop();
        header = previousRow;
        previousRow = undefined;
        continue;
      }
      const cells = tableCells(line);
      previousRow = cells;
      units.push({
        text: labelRow(cells, header),
        row: { cells: cells.join(' '), columns: header?.join(' ') ?? '' },
      });
      continue;
    }
    header = undefined;
    previousRow = undefined;
    if (line === '' || HEADING.test(line) || RULE.test(line)) {
      flush();
      continue;
    }
    if (LIST_ITEM.test(line)) {
      flush();
      paragraph.push(line.replace(LIST_ITEM, ''));
      continue;
    }
    paragraph.push(line.replace(/^>\s?/, ''));
  }
  flush();
  return units;
}

function tableCells(line: string): string[] {
  return line
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());
}

function labelRow(cells: readonly string[], header: readonly string[] | undefined): string {
  const parts = cells
    .map((cell, i) => (header?.[i] ? `${header[i]}: ${cell}` : cell))
    .filter((_, i) => cells[i] !== '');
  return parts.join('; ');
}

// Words that end in a period without ending the sentence.
const ABBREVIATIONS: ReadonlySet<string> = new Set(
  (
    'e.g i.e etc vs cf approx fig no nr mr mrs ms dr st inc ltd al incl resp esp min max sec ver vol p pp ca ' +
    'jan feb mar apr jun jul aug sep sept oct nov dec'
  ).split(' '),
);

/**
 * Splits at `.`, `!` or `?` followed by space and something that can start a sentence (a
 * capital, a digit, a quote or code), but not after an abbreviation or initial, and never
 * inside inline code, where periods belong to paths and versions.
 */
function splitSentences(unit: string): string[] {
  const code = [...unit.matchAll(/`[^`]*`/g)].map((m) => [m.index, m.index + m[0].length] as const);
  const inCode = (i: number): boolean => code.some(([from, to]) => i >= from && i < to);
  const sentences: string[] = [];
  let start = 0;
  for (const match of unit.matchAll(/[.!?]+["')\]]*\s+(?=[\p{Lu}\p{N}"'`([*])/gu)) {
    const end = match.index + match[0].trimEnd().length;
    if (inCode(match.index)) continue;
    const lastWord = /(\S+)$/.exec(unit.slice(start, match.index))?.[1] ?? '';
    const bare = lastWord.replace(/^[("'`[]+/, '').toLowerCase();
    if (match[0].startsWith('.') && (ABBREVIATIONS.has(bare) || /^\p{L}$/u.test(bare))) continue;
    sentences.push(unit.slice(start, end));
    start = match.index + match[0].length;
  }
  sentences.push(unit.slice(start));
  return sentences;
}

/**
 * HTML tags that Markdown pages embed. Only these are removed: `<name>-<version>.tgz` or
 * `npm init <initializer>` are placeholders the answer must keep.
 */
const HTML_TAG =
  /<\/?(?:a|abbr|b|br|code|details|div|em|h[1-6]|hr|i|img|kbd|li|ol|p|pre|small|span|strong|sub|summary|sup|table|tbody|td|th|thead|tr|u|ul)\b[^>]*>/gi;

/** Removes markdown an answer should not show: emphasis, code ticks, link syntax, HTML tags. */
function cleanSentence(sentence: string): string {
  return sentence
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(HTML_TAG, ' ')
    .replace(/`+/g, '')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/^[#>*\-+\s]+/, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[:;,]$/, '.');
}

function unitSentences(unit: Unit): PassageSentence[] {
  if (unit.row) {
    return [
      {
        text: cleanSentence(unit.text),
        matchText: unit.row.cells,
        labelText: unit.row.columns,
        leadIn: false,
      },
    ];
  }
  return splitSentences(unit.text).map((raw) => {
    const text = cleanSentence(raw);
    return { text, matchText: text, labelText: '', leadIn: /:\s*$/.test(raw) };
  });
}
