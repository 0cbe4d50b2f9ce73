/**
 * The usage table holds one counter item per principal and quota window, updated with atomic
 * `ADD`s; DynamoDB's TTL removes old windows. Shared by the adapter and the CDK table.
 */
export const USAGE_TABLE_KEYS = { partitionKey: 'pk' } as const;
/** Epoch seconds; the table's TimeToLiveSpecification names this attribute. */
export const USAGE_TTL_ATTRIBUTE = 'expires_at';
