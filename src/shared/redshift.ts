/**
 * The principal of a turn asked from SQL is the Redshift user with this prefix, so a database
 * user never shares sessions or quotas with an API principal of the same name by accident. To
 * read such sessions over the API, mint a token for `redshift:<user>`.
 */
export const REDSHIFT_PRINCIPAL_PREFIX = 'redshift:';
