/** Attribute names of the session table, shared by the DynamoDB adapter and the CDK table. */
export const SESSION_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
/** DynamoDB TTL attribute, epoch seconds. The table's TimeToLiveSpecification names this attribute. */
export const SESSION_TTL_ATTRIBUTE = 'expires_at';
/** How long a turn lives after it is written unless configured otherwise. */
export const DEFAULT_SESSION_TTL_DAYS = 30;

/**
 * Global secondary index over the session metadata items, for `GET /sessions`: a principal's
 * sessions by creation time. Only metadata items carry `owner`, so turns and feedback stay out
 * of it (a sparse index). Key types: `owner` string, `created_at` number (epoch ms). Projection ALL.
 */
export const SESSION_OWNER_INDEX = {
  indexName: 'by-owner',
  partitionKey: 'owner',
  sortKey: 'created_at',
} as const;
