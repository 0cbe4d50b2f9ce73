/** Key of the token table (one item per token, holding its salted hash, never the token). */
export const TOKEN_TABLE_KEYS = { partitionKey: 'tokenId' } as const;
