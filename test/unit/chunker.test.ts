import { describe, expect, it } from 'vitest';
import { UnsupportedDocumentFormatError, chunkDocument, formatOf } from '../../src/ingest/chunker.js';

function words(text: string): number {
  return text.split(/\s+/).filter((word) => word !== '').length;
}

/** A paragraph of four sentences, sixty words, recognisable by its number. */
function paragraph(n: number): string {
  return [1, 2, 3, 4]
    .map(
      (s) =>
        `Paragraph ${n} sentence ${s} explains one more detail about the ingestion of documents into the local index.`,
    )
    .join(' ');
}

const doc = (relativePath: string, content: string) => ({ source: 'docs', relativePath, content });

describe('chunkDocument: Markdown', () => {
  it('titles each chunk with the document title and its heading path', () => {
    // Prepare
    const content = [
      '# Configuration',
      paragraph(1),
      '## Environment variables',
      paragraph(2),
      '### RAG_DATA_DIR',
      paragraph(3),
    ].join('\n\n');
    // Act
    const chunks = chunkDocument(doc('configuration.md', content), { minWords: 0 });
    // Assess
    expect(chunks.map((chunk) => chunk.title)).toEqual([
      'Configuration',
      'Configuration › Environment variables',
      'Configuration › Environment variables › RAG_DATA_DIR',
    ]);
    expect(chunks[2]?.text).toBe(paragraph(3));
    expect(chunks[2]?.metadata).toEqual({
      source: 'docs',
      path: 'configuration.md',
      doc_title: 'Configuration',
    });
    expect(chunks[2]?.location).toBe('docs/configuration.md');
  });

  it('closes deeper headings when a shallower one starts', () => {
    // Prepare
    const content = ['# Guide', '## A', '### A1', paragraph(1), '## B', paragraph(2)].join('\n\n');
    // Act
    const chunks = chunkDocument(doc('guide.md', content), { minWords: 0 });
    // Assess
    expect(chunks.map((chunk) => chunk.title)).toEqual(['Guide › A › A1', 'Guide › B']);
  });

  it('never takes a # line inside fenced code for a heading and keeps the code block whole', () => {
    // Prepare
    const code = [
      '```bash',
      '# install the dependencies',
      'npm install',
      '',
      '# start the server',
      'npm start',
      '```',
    ].join('\n');
    const content = ['# Setup', '## Commands', 'Run these commands:', code, 'Then open the browser.'].join(
      '\n\n',
    );
    // Act
    const chunks = chunkDocument(doc('setup.md', content), { minWords: 0 });
    // Assess
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.title).toBe('Setup › Commands');
    expect(chunks[0]?.text).toContain(code);
  });

  it('understands setext headings too', () => {
    // Prepare
    const content = [
      'Deployment',
      '==========',
      '',
      paragraph(1),
      '',
      'Stages',
      '------',
      '',
      paragraph(2),
    ].join('\n');
    // Act
    const chunks = chunkDocument(doc('deployment.md', content), { minWords: 0 });
    // Assess
    expect(chunks.map((chunk) => chunk.title)).toEqual(['Deployment', 'Deployment › Stages']);
    expect(chunks[1]?.text).toBe(paragraph(2));
  });

  it('derives the title from the file name when there is no top-level heading', () => {
    // Act
    const chunks = chunkDocument(
      doc('guides/running-locally.md', `Some intro text.\n\n## Ports\n\n${paragraph(1)}`),
    );
    // Assess
    expect(chunks[0]?.title.startsWith('Running locally')).toBe(true);
    expect(chunks[0]?.metadata['doc_title']).toBe('Running locally');
  });

  it('merges short sections into one chunk that names their headings', () => {
    // Prepare
    const content = [
      '# FAQ',
      '## Can I change the port?',
      'Yes, set PORT.',
      '## Where is the index?',
      'Under .rag by default.',
    ].join('\n\n');
    // Act
    const chunks = chunkDocument(doc('faq.md', content));
    // Assess
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.title).toBe('FAQ › Can I change the port? · Where is the index?');
    expect(chunks[0]?.text).toBe('Yes, set PORT.\n\nWhere is the index?\n\nUnder .rag by default.');
  });

  it('gives no chunks for a document without text', () => {
    // Act & Assess
    expect(chunkDocument(doc('empty.md', '# Only a title\n\n'))).toEqual([]);
  });
});

describe('chunkDocument: size and overlap', () => {
  const longSection = [
    '# Long',
    '## Section',
    ...Array.from({ length: 30 }, (_, i) => paragraph(i + 1)),
  ].join('\n\n');

  it('cuts a long section into chunks of whole paragraphs within the size bounds', () => {
    // Act
    const chunks = chunkDocument(doc('long.md', longSection));
    // Assess
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    for (const chunk of chunks) expect(words(chunk.text)).toBeLessThanOrEqual(500);
    for (const chunk of chunks.slice(0, -1)) expect(words(chunk.text)).toBeGreaterThanOrEqual(300);
    for (let n = 1; n <= 30; n++)
      expect(chunks.some((chunk) => chunk.text.includes(paragraph(n)))).toBe(true);
    expect(new Set(chunks.map((chunk) => chunk.title))).toEqual(new Set(['Long › Section']));
  });

  it('repeats about fifty words of the previous chunk at the start of the next', () => {
    // Act
    const chunks = chunkDocument(doc('long.md', longSection));
    // Assess
    for (let i = 1; i < chunks.length; i++) {
      const previous = chunks[i - 1]?.text ?? '';
      const overlap = (chunks[i]?.text ?? '').split('\n\n')[0] ?? '';
      expect(previous.endsWith(overlap)).toBe(true);
      expect(words(overlap)).toBeGreaterThanOrEqual(25);
      expect(words(overlap)).toBeLessThanOrEqual(60);
    }
  });

  it('splits a paragraph longer than a chunk at sentence boundaries', () => {
    // Prepare
    const huge = Array.from({ length: 20 }, (_, i) => paragraph(i)).join(' ');
    // Act
    const chunks = chunkDocument(doc('huge.txt', `Huge\n\n${huge}`));
    // Assess
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) {
      expect(words(chunk.text)).toBeLessThanOrEqual(500);
      expect(chunk.text.trimEnd().endsWith('.')).toBe(true);
    }
  });

  it('splits an oversized code block at lines and fences every piece', () => {
    // Prepare
    const lines = Array.from({ length: 300 }, (_, i) => `echo step ${i} of the long build script`);
    const content = `# Script\n\n\`\`\`sh\n${lines.join('\n')}\n\`\`\``;
    // Act
    const chunks = chunkDocument(doc('script.md', content));
    // Assess
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      expect(chunk.text.startsWith('```sh\n')).toBe(true);
      expect(chunk.text.endsWith('\n```')).toBe(true);
      expect(words(chunk.text)).toBeLessThanOrEqual(500);
    }
  });
});

describe('chunkDocument: HTML', () => {
  it('takes the title from <title>, sections from h1–h3 and drops scripts and styles', () => {
    // Prepare
    const html = `<!DOCTYPE html><html><head><title>Deployment</title><style>p { color: red }</style></head>
      <body><h1>Deployment</h1><p>Intro &amp; overview.</p><script>alert("x")</script>
      <h2>Stages</h2><p>Dev, QA and prod.</p>
      <h3>Prod</h3><ul><li>Provisioned concurrency</li><li>Alarms</li></ul>
      <table><tr><th>Stage</th><th>Scales to zero</th></tr><tr><td>dev</td><td>yes</td></tr></table>
      <pre><code>cdk deploy -c stage=prod
  --require-approval never</code></pre></body></html>`;
    // Act
    const chunks = chunkDocument(doc('deploy.html', html), { minWords: 0 });
    // Assess
    expect(chunks.map((chunk) => chunk.title)).toEqual([
      'Deployment',
      'Deployment › Stages',
      'Deployment › Stages › Prod',
    ]);
    expect(chunks[0]?.text).toBe('Intro & overview.');
    const all = chunks.map((chunk) => chunk.text).join('\n');
    expect(all).not.toContain('alert');
    expect(all).not.toContain('color');
    expect(chunks[2]?.text).toContain('Provisioned concurrency\n\nAlarms');
    expect(chunks[2]?.text).toContain('Stage | Scales to zero\n\ndev | yes');
    expect(chunks[2]?.text).toContain('cdk deploy -c stage=prod\n  --require-approval never');
  });

  it('falls back to the first <h1> for the title', () => {
    // Act
    const chunks = chunkDocument(
      doc('page.htm', '<body><h1>Security</h1><div>Tokens are <b>hashed</b>.</div></body>'),
    );
    // Assess
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.title).toBe('Security');
    expect(chunks[0]?.text).toBe('Tokens are hashed.');
  });
});

describe('chunkDocument: plain text', () => {
  it('uses the first line as title and finds underlined, Title Case and ALL CAPS headings', () => {
    // Prepare
    const text = [
      'Operations handbook',
      '===================',
      '',
      'Read this first.',
      '',
      'Alarms and metrics',
      '------------------',
      '',
      'Alarms go to SNS.',
      '',
      'Rotating the Token',
      '',
      'Delete the token file and restart.',
      '',
      'TROUBLESHOOTING',
      '',
      'Check the logs first.',
      '',
      'This line is a sentence.',
      '',
      'It stays a paragraph.',
    ].join('\n');
    // Act
    const chunks = chunkDocument(doc('ops.txt', text), { minWords: 0 });
    // Assess
    expect(chunks.map((chunk) => chunk.title)).toEqual([
      'Operations handbook',
      'Operations handbook › Alarms and metrics',
      'Operations handbook › Alarms and metrics › Rotating the Token',
      'Operations handbook › TROUBLESHOOTING',
    ]);
    expect(chunks[3]?.text).toBe(
      'Check the logs first.\n\nThis line is a sentence.\n\nIt stays a paragraph.',
    );
  });
});

describe('chunkDocument: plain text without a title line', () => {
  it('names the document after its file when the first line runs on into a paragraph', () => {
    // Prepare
    const text = 'This file starts with prose that wraps\nonto a second line without any title.';
    // Act
    const chunks = chunkDocument(doc('notes/release-notes.txt', text));
    // Assess
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.title).toBe('Release notes');
    expect(chunks[0]?.text).toBe(text);
  });
});

describe('chunkDocument: ids', () => {
  const content = ['# Guide', '## One', paragraph(1), '## Two', paragraph(2)].join('\n\n');

  it('derives ids from source, path, position and content hash', () => {
    // Act
    const first = chunkDocument(doc('sub/guide.md', content), { minWords: 0 });
    const second = chunkDocument(doc('sub/guide.md', content), { minWords: 0 });
    // Assess
    expect(second.map((chunk) => chunk.id)).toEqual(first.map((chunk) => chunk.id));
    expect(first[0]?.id).toMatch(/^docs:sub\/guide\.md#0-[0-9a-f]{10}$/);
    expect(first[1]?.id).toMatch(/^docs:sub\/guide\.md#1-[0-9a-f]{10}$/);
  });

  it('changes only the id of the edited chunk', () => {
    // Prepare
    const before = chunkDocument(doc('guide.md', content), { minWords: 0 });
    // Act
    const after = chunkDocument(
      doc('guide.md', content.replace('Paragraph 2 sentence 1', 'Paragraph 2 first sentence')),
      {
        minWords: 0,
      },
    );
    // Assess
    expect(after[0]?.id).toBe(before[0]?.id);
    expect(after[1]?.id).not.toBe(before[1]?.id);
  });

  it('changes the id when only a heading is renamed, so the indexed title cannot go stale', () => {
    // Act
    const before = chunkDocument(doc('guide.md', content), { minWords: 0 });
    const after = chunkDocument(doc('guide.md', content.replace('## Two', '## Second')), { minWords: 0 });
    // Assess
    expect(after[1]?.id).not.toBe(before[1]?.id);
  });
});

describe('formatOf', () => {
  it('knows the supported extensions and rejects others', () => {
    // Act & Assess
    expect(['a.md', 'b.MARKDOWN', 'c.html', 'd.htm', 'e.txt', 'f.pdf', 'g.docx'].map(formatOf)).toEqual([
      'markdown',
      'markdown',
      'html',
      'html',
      'text',
      'pdf',
      undefined,
    ]);
    expect(() => chunkDocument(doc('g.docx', 'x'))).toThrow(UnsupportedDocumentFormatError);
  });
});
