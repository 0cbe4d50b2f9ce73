/**
 * The stack names and output keys of a deployed stage: the serving stack writes them, the token
 * CLI, preflight and CI read them (CloudFormation `DescribeStacks`). Renaming one breaks deployed
 * tooling, so they live here, once.
 */
export const stackNamePrefix = (stage: string): string => `rag-serving-${stage}`;
export const servingStackName = (stage: string): string => `${stackNamePrefix(stage)}-serving`;
export const statefulStackName = (stage: string): string => `${stackNamePrefix(stage)}-stateful`;
/** Documents bucket, ingestion and batch jobs; its outputs are `JobsStackOutput` of `src/shared/jobs.ts`. */
export const jobsStackName = (stage: string): string => `${stackNamePrefix(stage)}-jobs`;

export const StackOutput = {
  /** Base URL, e.g. `https://abc.execute-api.us-east-1.amazonaws.com/dev/` (RAG_URL / DATABRICKS_HOST). */
  apiUrl: 'ApiUrl',
  /** `<ApiUrl>serving-endpoints/<name>/invocations`. */
  invocationsUrl: 'InvocationsUrl',
  endpointName: 'EndpointName',
  /** DynamoDB table of token hashes, where `npm run tokens -- --stage` creates tokens. */
  tokenTable: 'TokenTableName',
  sessionTable: 'SessionTableName',
  alarmTopicArn: 'AlarmTopicArn',
  dashboardName: 'DashboardName',
  dashboardUrl: 'DashboardUrl',
  /** The invocations function (on prod its `live` alias), for a readiness check by direct invoke. */
  servingFunctionArn: 'ServingFunctionArn',
  customDomainTarget: 'CustomDomainTarget',
} as const;
