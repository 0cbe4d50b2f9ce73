import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const WORDS =
  'index chunk embed vector query answer session token stage deploy schedule bucket queue manifest retry limit guardrail latency budget metric alarm topic namespace tenant source document'.split(
    ' ',
  );

/** The text of generated document `i`: a title and a paragraph of about 60 words, distinct per document. */
export function generatedDocument(i: number): string {
  const words = Array.from({ length: 60 }, (_, k) => WORDS[(i * 7 + k * 13 + (i % 11) * k) % WORDS.length]);
  return `# Generated document ${i}\n\nDocument ${i} (serial ${i.toString(36)}) says: ${words.join(' ')}.\n`;
}

/** Writes `count` small Markdown documents, 100 per folder, and returns the folder. */
export async function writeGeneratedCorpus(dir: string, count: number): Promise<string> {
  for (let folder = 0; folder * 100 < count; folder++) {
    const path = join(dir, `part-${String(folder).padStart(3, '0')}`);
    await mkdir(path, { recursive: true });
    const writes: Promise<void>[] = [];
    for (let i = folder * 100; i < Math.min(count, (folder + 1) * 100); i++) {
      writes.push(writeFile(join(path, `doc-${String(i).padStart(5, '0')}.md`), generatedDocument(i)));
    }
    await Promise.all(writes);
  }
  return dir;
}
