import { describe, expect, it } from 'vitest';
import { parseHtmlDocument } from '../../src/ingest/chunking/html.js';
import { parseMarkdown } from '../../src/ingest/chunking/markdown.js';
import { parsePlainText } from '../../src/ingest/chunking/plain-text.js';

describe('parseMarkdown', () => {
  it('files blocks under their heading path, keeps fenced code whole and takes the front matter title', () => {
    // Prepare
    const content = [
      '---',
      'title: "Front"',
      '---',
      '## Setup',
      'Run it.',
      '',
      '```sh',
      '# not a heading',
      '```',
      '',
      'Install',
      '-------',
      'Steps here.',
    ].join('\n');
    // Act
    const parsed = parseMarkdown(content);
    // Assess
    expect(parsed).toEqual({
      title: 'Front',
      sections: [
        { headings: [], blocks: [] },
        {
          headings: ['Setup'],
          blocks: [
            { text: 'Run it.', kind: 'prose' },
            { text: '```sh\n# not a heading\n```', kind: 'code' },
          ],
        },
        { headings: ['Install'], blocks: [{ text: 'Steps here.', kind: 'prose' }] },
      ],
    });
  });

  it('takes a top-level heading for the title only when no other heading came before it', () => {
    // Prepare
    const content = ['## Intro', 'Text.', '', 'Later', '=====', 'More text.'].join('\n');
    // Act
    const parsed = parseMarkdown(content);
    // Assess
    expect(parsed.title).toBeUndefined();
    expect(parsed.sections.map((section) => section.headings)).toEqual([[], ['Intro'], ['Later']]);
  });
});

describe('parseHtmlDocument', () => {
  it('drops navigation and the h1 that repeats the title, and reads a table row as one block', () => {
    // Prepare
    const content =
      '<html><head><title>Page</title></head><body><nav>Menu</nav><h1>Page</h1><h2>Limits</h2>' +
      '<table><tr><th>Name</th><th>Max</th></tr><tr><td>body</td><td>6 MB</td></tr></table>' +
      '<p>Some <b>bold</b> text.</p></body></html>';
    // Act
    const parsed = parseHtmlDocument(content);
    // Assess
    expect(parsed.title).toBe('Page');
    expect(parsed.sections.map((section) => section.headings)).toEqual([[], ['Limits']]);
    expect(parsed.sections[1]?.blocks.map((block) => block.text)).toEqual([
      'Name | Max',
      'body | 6 MB',
      'Some bold text.',
    ]);
  });
});

describe('parsePlainText', () => {
  it('takes an underlined first line as the title, an ALL CAPS line as a heading and indented lines as code', () => {
    // Prepare
    const content = 'Guide\n=====\n\nINSTALLATION\n\nRun the installer.\n\n  npm ci\n  npm start\n';
    // Act
    const parsed = parsePlainText(content);
    // Assess
    expect(parsed).toEqual({
      title: 'Guide',
      sections: [
        { headings: [], blocks: [] },
        {
          headings: ['INSTALLATION'],
          blocks: [
            { text: 'Run the installer.', kind: 'prose' },
            { text: '  npm ci\n  npm start', kind: 'code' },
          ],
        },
      ],
    });
  });
});
