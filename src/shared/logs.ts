/**
 * Structured log lines that the CloudWatch dashboard queries with Logs Insights. The handler writes
 * them with these names and the dashboard reads them with the same constants.
 */

/**
 * One line per answered invocation request: the source names (`<source>/<path>`) that the
 * predictions cite, each once per prediction. Names only: never query text, answers or chunk text.
 */
export const CITED_SOURCES_LOG = { message: 'cited sources', field: 'cited_sources' } as const;
