/** Vectors of one index must all have one length, and a query vector must match it. */
export class VectorDimensionMismatchError extends Error {
  constructor(expected: number, actual: number, what: string) {
    super(`${what} has ${actual} dimensions but the index holds ${expected}-dimensional vectors.`);
    this.name = new.target.name;
  }
}

export class CorruptIndexFileError extends Error {
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super(`The index file ${path} cannot be read (${detail}); delete it and run the ingest again.`, options);
    this.name = new.target.name;
  }
}
