/** Attribute names of the session table, shared by the DynamoDB adapter and the CDK table. */
export const SESSION_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
/** DynamoDB TTL attribute, epoch seconds. The table's TimeToLiveSpecification names this attribute. */
export const SESSION_TTL_ATTRIBUTE = 'expires_at';
/** How long a turn lives after it is written unless configured otherwise. */
export const DEFAULT_SESSION_TTL_DAYS = 30;
