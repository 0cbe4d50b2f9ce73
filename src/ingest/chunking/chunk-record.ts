import { createHash } from 'node:crypto';
import type { Chunk } from '../../core/ports/types.js';
import type { Draft } from './pack-sections.js';

const TITLE_SEPARATOR = ' › ';

/** Where a document comes from: what its chunk ids and locations are made of. */
export interface DocumentOrigin {
  readonly source: string;
  readonly relativePath: string;
}

/** A chunk with its deterministic id: source, path, position and a hash of its title and text. */
export function toChunk(document: DocumentOrigin, docTitle: string, draft: Draft, position: number): Chunk {
  const text = draft.blocks.map((block) => block.text).join('\n\n');
  const title = chunkTitle(docTitle, draft.headingPaths);
  // The title is hashed too: renaming a heading must replace the chunk, or its indexed title goes stale.
  const hash = createHash('sha256').update(`${title}\n${text}`).digest('hex').slice(0, 10);
  return {
    id: `${document.source}:${document.relativePath}#${position}-${hash}`,
    text,
    title,
    location: `${document.source}/${document.relativePath}`,
    metadata: { source: document.source, path: document.relativePath, doc_title: docTitle },
  };
}

/**
 * `Doc › Section › Subsection`. A chunk that absorbed further sections names their
 * headings after the path they share: `Doc › Section › First · Second · Nested`.
 */
function chunkTitle(docTitle: string, headingPaths: readonly (readonly string[])[]): string {
  const first = headingPaths[0] ?? [];
  let shared = first.length;
  for (const path of headingPaths) {
    let common = 0;
    while (common < Math.min(shared, path.length) && path[common] === first[common]) common++;
    shared = common;
  }
  const tails = [...new Set(headingPaths.flatMap((path) => path.slice(shared)))];
  return [docTitle, ...first.slice(0, shared), ...(tails.length > 0 ? [tails.join(' · ')] : [])].join(
    TITLE_SEPARATOR,
  );
}

/** `getting-started/running-locally.md` → `Running locally`. */
export function titleFromPath(relativePath: string): string {
  const name = (relativePath.split('/').at(-1) ?? relativePath)
    .replace(/\.[^.]+$/, '')
    .replace(/[-_]+/g, ' ')
    .trim();
  return name.charAt(0).toUpperCase() + name.slice(1);
}
