import { describe, expect, it } from 'vitest';
import { toChunk, titleFromPath } from '../../src/ingest/chunking/chunk-record.js';
import type { Section } from '../../src/ingest/chunking/outline.js';
import { packSections } from '../../src/ingest/chunking/pack-sections.js';

const section = (headings: string[], ...texts: string[]): Section => ({
  headings,
  blocks: texts.map((text) => ({ text, kind: 'prose' })),
});

const SMALL = { targetWords: 10, maxWords: 14, overlapWords: 4, minWords: 5 };

describe('packSections', () => {
  it('lets a short chunk take in the next section, heading included', () => {
    // Act
    const drafts = packSections(
      [section([], 'One two three.'), section(['A'], 'Four five six seven.')],
      SMALL,
    );
    // Assess
    expect(drafts).toEqual([
      {
        headingPaths: [[], ['A']],
        blocks: [
          { text: 'One two three.', kind: 'prose' },
          { text: 'A', kind: 'prose' },
          { text: 'Four five six seven.', kind: 'prose' },
        ],
        words: 8,
      },
    ]);
  });

  it('starts a full chunk’s successor with its last whole sentence', () => {
    // Prepare
    const long = section(
      ['B'],
      'Alpha beta gamma delta. Epsilon zeta eta theta. Iota kappa lambda mu.',
      'Nu xi omicron pi rho sigma.',
    );
    // Act
    const drafts = packSections([long], SMALL);
    // Assess
    expect(drafts.map((draft) => draft.blocks.map((block) => block.text))).toEqual([
      ['Alpha beta gamma delta. Epsilon zeta eta theta. Iota kappa lambda mu.'],
      ['Iota kappa lambda mu.', 'Nu xi omicron pi rho sigma.'],
    ]);
  });

  it('cuts an oversized code block at lines and fences every piece again', () => {
    // Prepare
    const code: Section = { headings: [], blocks: [{ text: '```js\na b c\nd e f\ng h\n```', kind: 'code' }] };
    // Act
    const drafts = packSections([code], { targetWords: 4, maxWords: 6, overlapWords: 0, minWords: 0 });
    // Assess
    expect(drafts.map((draft) => draft.blocks.map((block) => block.text))).toEqual([
      ['```js\na b c\n```'],
      ['```js\nd e f\n```'],
      ['```js\ng h\n```'],
    ]);
  });
});

describe('toChunk', () => {
  it('names the headings a merged chunk covers after the path they share', () => {
    // Prepare
    const draft = {
      headingPaths: [
        ['S', 'X'],
        ['S', 'Y', 'Z'],
      ],
      blocks: [{ text: 'Body.', kind: 'prose' as const }],
      words: 1,
    };
    // Act
    const chunk = toChunk({ source: 'docs', relativePath: 'a/b.md' }, 'Doc', draft, 3);
    // Assess
    expect(chunk.title).toBe('Doc › S › X · Y · Z');
    expect(chunk.id).toMatch(/^docs:a\/b\.md#3-[0-9a-f]{10}$/);
    expect(chunk.location).toBe('docs/a/b.md');
  });
});

describe('titleFromPath', () => {
  it('turns a file name into a sentence-case title', () => {
    // Act & Assess
    expect(titleFromPath('getting-started/running_locally.md')).toBe('Running locally');
  });
});
