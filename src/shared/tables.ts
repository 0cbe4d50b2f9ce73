/**
 * Key and TTL attribute names of the tables the stateful stack owns besides the session table
 * (`sessions.ts`). The CDK tables and the DynamoDB adapters both import these.
 */

/** Token records, hashes only (never a token): one item per token, keyed by its public id. */
export const TOKEN_TABLE_KEYS = { partitionKey: 'tokenId' } as const;

/** Usage counters for quotas: one item per principal and window, e.g. `pk = USAGE#<principal>#<window>`. */
export const USAGE_TABLE_KEYS = { partitionKey: 'pk' } as const;
/** DynamoDB TTL attribute of the usage table, epoch seconds: a window's counter expires after it. */
export const USAGE_TTL_ATTRIBUTE = 'expires_at';
