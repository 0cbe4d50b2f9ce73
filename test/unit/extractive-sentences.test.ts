import { describe, expect, it } from 'vitest';
import { passageSentences } from '../../src/adapters/local/extractive/sentences.js';

const texts = (markdown: string): string[] => passageSentences(markdown).map((sentence) => sentence.text);

describe('passageSentences', () => {
  it('does not end a sentence after an abbreviation or inside inline code', () => {
    // Prepare
    const passage = 'Bodies are capped, e.g. at 6 MB. Set `RAG_DATA_DIR=./data. Then` restart it. Done.';
    // Act
    const sentences = texts(passage);
    // Assess
    expect(sentences).toEqual([
      'Bodies are capped, e.g. at 6 MB.',
      'Set RAG_DATA_DIR=./data. Then restart it.',
      'Done.',
    ]);
  });

  it('drops headings and fenced code, and reads list items as sentences of their own', () => {
    // Prepare
    const passage = [
      '# Starting',
      '',
      '```',
      'npm start. Then wait',
      '```',
      '- Run the server.',
      '- Open the URL',
    ].join('\n');
    // Act
    const sentences = texts(passage);
    // Assess
    expect(sentences).toEqual(['Run the server.', 'Open the URL']);
  });

  it('keeps a table row whole, labelled with its columns, and matches its cells apart from the labels', () => {
    // Prepare
    const passage = ['| Variable | Default |', '|---|---|', '| PORT | 8080 |'].join('\n');
    // Act
    const sentences = passageSentences(passage);
    // Assess
    expect(sentences).toEqual([
      {
        text: 'Variable: PORT; Default: 8080',
        matchText: 'PORT 8080',
        labelText: 'Variable Default',
        leadIn: false,
      },
    ]);
  });

  it('shows no markdown: links, emphasis and code ticks become plain text', () => {
    // Prepare
    const passage = 'See **the [API guide](api.md)** for `max_tokens`:';
    // Act
    const sentences = texts(passage);
    // Assess
    expect(sentences).toEqual(['See the API guide for max_tokens.']);
  });
});
