/** A document that was not indexed, and why. */
export interface DocumentProblem {
  readonly path: string;
  readonly reason: string;
}

/**
 * What one run did, in the terms a Databricks job run reports: documents seen in the source and
 * what happened to each, chunks written and removed, embedding tokens, duration.
 */
export interface IngestReport {
  /** Documents the run looked at (listed, or named by an event). */
  readonly seen: number;
  /** New documents indexed. */
  readonly added: number;
  /** Changed documents re-indexed. */
  readonly updated: number;
  /** Documents whose content was unchanged: no embedding call. */
  readonly unchanged: number;
  /** Documents removed from the source whose chunks were removed from the index. */
  readonly deleted: number;
  /** Unreadable or corrupt documents; their earlier chunks, if any, stay until they can be read. */
  readonly failed: number;
  /** Documents not indexed on purpose: over the size limit, or no text. */
  readonly skipped: number;
  /** Chunks embedded and written. */
  readonly chunksWritten: number;
  /** Chunks removed (of edited, removed or skipped documents). */
  readonly chunksDeleted: number;
  /** Input tokens the embedding model reported (0 for the local embedder). */
  readonly embeddingTokens: number;
  readonly seconds: number;
  /** The first failures (at most REPORTED_PROBLEMS), for logs and notifications. */
  readonly failures: readonly DocumentProblem[];
  /** The first skipped documents (at most REPORTED_PROBLEMS). */
  readonly skippedDocuments: readonly DocumentProblem[];
}

/** Problems listed by name in a report; the counts stay exact beyond it. */
export const REPORTED_PROBLEMS = 100;

type Counter = Exclude<keyof IngestReport, 'seconds' | 'failures' | 'skippedDocuments'>;

/** Counts a run as it goes; `report()` freezes it. */
export class IngestTally {
  private readonly counts: Record<Counter, number> = {
    seen: 0,
    added: 0,
    updated: 0,
    unchanged: 0,
    deleted: 0,
    failed: 0,
    skipped: 0,
    chunksWritten: 0,
    chunksDeleted: 0,
    embeddingTokens: 0,
  };
  private readonly failures: DocumentProblem[] = [];
  private readonly skippedDocuments: DocumentProblem[] = [];
  private readonly started = performance.now();

  add(counter: Counter, amount = 1): void {
    this.counts[counter] += amount;
  }

  fail(problem: DocumentProblem): void {
    this.counts.failed++;
    if (this.failures.length < REPORTED_PROBLEMS) this.failures.push(problem);
  }

  skip(problem: DocumentProblem): void {
    this.counts.skipped++;
    if (this.skippedDocuments.length < REPORTED_PROBLEMS) this.skippedDocuments.push(problem);
  }

  get(counter: Counter): number {
    return this.counts[counter];
  }

  report(): IngestReport {
    return {
      ...this.counts,
      seconds: (performance.now() - this.started) / 1000,
      failures: [...this.failures],
      skippedDocuments: [...this.skippedDocuments],
    };
  }
}
