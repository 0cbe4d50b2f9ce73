import type { NamespaceDraft } from './index-file.js';
import type { Segment } from './segment.js';
import type { StoredChunk } from './stored-chunk.js';

/**
 * A namespace as the index holds it between two writes of the file: the segment loaded from the
 * file, the chunks of it deleted or replaced since (tombstones), and the chunks written since,
 * whole in memory. Namespaces share nothing, not even IDF.
 */
export class NamespaceState {
  private readonly tombstones = new Set<number>();
  /** One byte per segment chunk, 1 when deleted: what the scoring loop checks. */
  private deletedMask: Uint8Array | undefined;
  readonly added = new Map<string, StoredChunk>();
  private removedTextLength = 0;
  private removedTitleLength = 0;
  private addedTextLength = 0;
  private addedTitleLength = 0;

  constructor(readonly segment: Segment | undefined) {}

  /** Live chunks. */
  get count(): number {
    return (this.segment?.count ?? 0) - this.tombstones.size + this.added.size;
  }

  /** Terms in all live chunks' texts and titles, for BM25's average field lengths. */
  get totalTextLength(): number {
    return (this.segment?.totalTextLength ?? 0) - this.removedTextLength + this.addedTextLength;
  }

  get totalTitleLength(): number {
    return (this.segment?.totalTitleLength ?? 0) - this.removedTitleLength + this.addedTitleLength;
  }

  /** The deletion mask of the segment, or undefined when nothing of it was deleted. */
  get deleted(): Uint8Array | undefined {
    return this.deletedMask;
  }

  isLive(doc: number): boolean {
    return !this.tombstones.has(doc);
  }

  ids(): string[] {
    const segment = this.segment;
    const live = segment ? segment.ids.filter((_, doc) => !this.tombstones.has(doc)) : [];
    return [...live, ...this.added.keys()];
  }

  /** Adds a chunk, replacing a chunk with the same id. */
  put(chunk: StoredChunk): void {
    this.remove(chunk.id);
    this.added.set(chunk.id, chunk);
    this.addedTextLength += chunk.terms.textLength;
    this.addedTitleLength += chunk.terms.titleLength;
  }

  /** Removes a chunk; an unknown id is no error. */
  remove(id: string): void {
    const added = this.added.get(id);
    if (added) {
      this.added.delete(id);
      this.addedTextLength -= added.terms.textLength;
      this.addedTitleLength -= added.terms.titleLength;
      return;
    }
    const doc = this.segment?.docNumbers.get(id);
    if (doc === undefined || this.tombstones.has(doc)) return;
    const segment = this.segment as Segment;
    this.tombstones.add(doc);
    this.deletedMask ??= new Uint8Array(segment.count);
    this.deletedMask[doc] = 1;
    this.removedTextLength += segment.textLength[doc] as number;
    this.removedTitleLength += segment.titleLength[doc] as number;
  }

  /**
   * What the next file holds for this namespace: the live segment chunks in their order, then the
   * added ones. Postings are merged list by list, so nothing is tokenized again.
   */
  draft(name: string, dimensions: number): NamespaceDraft {
    const segment = this.segment;
    const kept = segment ? segment.ids.map((_, doc) => doc).filter((doc) => !this.tombstones.has(doc)) : [];
    const added = [...this.added.values()];
    const count = kept.length + added.length;
    const renumbered = new Int32Array(segment?.count ?? 0).fill(-1);
    kept.forEach((doc, i) => (renumbered[doc] = i));

    const termList = [...(segment?.termList ?? [])];
    const termNumbers = new Map(segment?.terms ?? []);
    // The added chunks' terms by number (new terms numbered after the segment's), counted per term.
    const addedTermNumbers = added.map((chunk) =>
      Uint32Array.from(chunk.terms.terms, (term) => {
        let number = termNumbers.get(term);
        if (number === undefined) {
          number = termList.length;
          termNumbers.set(term, number);
          termList.push(term);
        }
        return number;
      }),
    );
    const listLength = new Uint32Array(termList.length);
    for (const numbers of addedTermNumbers) {
      for (const number of numbers) listLength[number] = (listLength[number] as number) + 1;
    }
    if (segment) {
      forEachKeptPosting(segment, renumbered, (term) => {
        listLength[term] = (listLength[term] as number) + 1;
      });
    }
    const postingStart = new Uint32Array(termList.length + 1);
    for (let term = 0; term < termList.length; term++) {
      postingStart[term + 1] = (postingStart[term] as number) + (listLength[term] as number);
    }
    const total = postingStart[termList.length] as number;
    const postingDoc = new Uint32Array(total);
    const postingText = new Uint16Array(total);
    const postingTitle = new Uint16Array(total);
    // Kept segment chunks come first and added ones after, so filling in that order keeps every list sorted.
    const next = postingStart.slice(0, termList.length);
    if (segment) {
      forEachKeptPosting(segment, renumbered, (term, p, doc) => {
        const at = next[term] as number;
        next[term] = at + 1;
        postingDoc[at] = doc;
        postingText[at] = segment.postingText[p] as number;
        postingTitle[at] = segment.postingTitle[p] as number;
      });
    }
    added.forEach((chunk, i) => {
      const numbers = addedTermNumbers[i] as Uint32Array;
      for (let position = 0; position < numbers.length; position++) {
        const number = numbers[position] as number;
        const at = next[number] as number;
        next[number] = at + 1;
        postingDoc[at] = kept.length + i;
        postingText[at] = chunk.terms.text[position] as number;
        postingTitle[at] = chunk.terms.title[position] as number;
      }
    });

    const pick = <T>(fromSegment: (doc: number) => T, fromChunk: (chunk: StoredChunk) => T): T[] => [
      ...kept.map(fromSegment),
      ...added.map(fromChunk),
    ];
    return {
      name,
      count,
      ids: pick(
        (doc) => segment?.ids[doc] as string,
        (chunk) => chunk.id,
      ),
      locations: pick(
        (doc) => segment?.locations[doc] as string,
        (chunk) => chunk.location,
      ),
      metadata: pick(
        (doc) => segment?.metadata[doc] ?? {},
        (chunk) => chunk.metadata,
      ),
      textLength: Uint32Array.from(
        pick(
          (doc) => segment?.textLength[doc] ?? 0,
          (chunk) => chunk.terms.textLength,
        ),
      ),
      titleLength: Uint32Array.from(
        pick(
          (doc) => segment?.titleLength[doc] ?? 0,
          (chunk) => chunk.terms.titleLength,
        ),
      ),
      termList,
      postingStart,
      postingDoc,
      postingText,
      postingTitle,
      norms: Float32Array.from(
        pick(
          (doc) => segment?.norms[doc] ?? 0,
          (chunk) => chunk.norm,
        ),
      ),
      vectorRows: async function* () {
        if (segment && kept.length > 0) {
          const vectors = await segment.vectors();
          for (const doc of kept) yield vectors.subarray(doc * dimensions, (doc + 1) * dimensions);
        }
        for (const chunk of added) yield chunk.vector;
      },
      passages: async function* () {
        for (const doc of kept) yield await (segment as Segment).passageBytes(doc);
        for (const chunk of added)
          yield Buffer.from(JSON.stringify({ title: chunk.title, text: chunk.text }), 'utf8');
      },
    };
  }
}

/** Calls `visit` for every posting of the segment whose chunk is kept, with that chunk's new number. */
function forEachKeptPosting(
  segment: Segment,
  renumbered: Int32Array,
  visit: (term: number, posting: number, doc: number) => void,
): void {
  for (let term = 0; term < segment.termList.length; term++) {
    const end = segment.postingStart[term + 1] as number;
    for (let p = segment.postingStart[term] as number; p < end; p++) {
      const doc = renumbered[segment.postingDoc[p] as number] as number;
      if (doc >= 0) visit(term, p, doc);
    }
  }
}
