/** Pinecone's data-plane request limits (serverless): records and bytes per upsert, ids per delete. */
export const PineconeLimits = {
  maxUpsertRecords: 1000,
  maxRequestBytes: 2 * 1024 * 1024,
  maxDeleteIds: 1000,
} as const;

/** Room kept for the request envelope around the records (`{"vectors":[...],"namespace":"..."}`). */
const ENVELOPE_BYTES = 1024;

/**
 * Splits records into requests that each stay within a record count and a byte size, measured
 * as the JSON the SDK sends. A single record larger than the byte limit gets a request of its
 * own (Pinecone will refuse it with a clear error; splitting cannot help).
 */
export function batchesWithin<T>(
  records: readonly T[],
  limits: { readonly maxRecords: number; readonly maxBytes: number },
  size: (record: T) => number = (record) => Buffer.byteLength(JSON.stringify(record), 'utf8'),
): T[][] {
  const budget = limits.maxBytes - ENVELOPE_BYTES;
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const record of records) {
    const recordBytes = size(record) + 1; // the comma between records
    if (current.length > 0 && (current.length >= limits.maxRecords || bytes + recordBytes > budget)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += recordBytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
