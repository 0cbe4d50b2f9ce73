import { countWords } from '../../text/words.js';
import { FENCE, isClosingFence } from './markdown-fence.js';
import type { Block, Section } from './outline.js';

/** Word budgets of a chunk: `ChunkingOptions` with every default filled in. */
export interface PackingSettings {
  readonly targetWords: number;
  readonly maxWords: number;
  readonly overlapWords: number;
  readonly minWords: number;
}

/** A chunk being packed: its blocks, the heading paths of the sections it covers, and its words so far. */
export interface Draft {
  readonly headingPaths: (readonly string[])[];
  readonly blocks: Block[];
  words: number;
}

/**
 * Packs the sections of a document into chunk drafts: whole blocks up to the target, never
 * past the maximum, a short chunk taking in the next section, a split section repeating a
 * little of what came before.
 */
export function packSections(sections: readonly Section[], settings: PackingSettings): Draft[] {
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
function splitOversized(block: Block, settings: PackingSettings): Block[] {
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
