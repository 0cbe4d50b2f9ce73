import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateStateMachineCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureJobsTable } from '../../src/adapters/dynamodb/jobs-table.js';
import { runIngestCommand } from '../../src/cli/ingest.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../src/local/embedded-dynamodb.js';
import { JobsStackOutput, jobsStackName, statefulStackName } from '../../src/shared/jobs.js';
import { startFakeBedrock, type FakeBedrock } from '../fakes/fake-bedrock.js';
import { startFakePinecone, type FakePinecone } from '../fakes/fake-pinecone.js';
import { paragraph } from '../support/ingestion.js';
import { MOTO_CLIENT_CONFIG, startMotoServer, type MotoServer } from '../support/moto-server.js';

const BUCKET = 'rag-serving-dev-documents';
const TABLE = 'rag-serving-dev-jobs';
const SECRET = 'rag-serving/dev/pinecone-api-key';

let moto: MotoServer;
let bedrock: FakeBedrock;
let pinecone: FakePinecone;
let dynamo: EmbeddedDynamo;
let stateMachineArn: string;

beforeAll(async () => {
  [moto, bedrock, pinecone, dynamo] = await Promise.all([
    startMotoServer(),
    startFakeBedrock(),
    startFakePinecone({ dimension: 1024, indexName: 'rag-serving-dev' }),
    startEmbeddedDynamo(),
  ]);
  await ensureJobsTable(dynamo.client, TABLE);
  const s3 = new S3Client(moto.clientConfig);
  const sfn = new SFNClient(moto.clientConfig);
  const secrets = new SecretsManagerClient(moto.clientConfig);
  const cloudFormation = new CloudFormationClient(moto.clientConfig);
  await secrets.send(
    new CreateSecretCommand({ Name: SECRET, SecretString: JSON.stringify({ apiKey: pinecone.apiKey }) }),
  );
  ({ stateMachineArn = '' } = await sfn.send(
    new CreateStateMachineCommand({
      name: 'rag-serving-dev-ingestion',
      roleArn: 'arn:aws:iam::123456789012:role/ingestion',
      definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
    }),
  ));
  // The jobs stack as `cdk deploy` leaves it, reduced to its bucket and the outputs the CLI reads.
  const outputs: Record<string, string> = {
    [JobsStackOutput.documentsPrefix]: 'docs/',
    [JobsStackOutput.batchPrefix]: 'batch/',
    [JobsStackOutput.sourceName]: 'docs',
    [JobsStackOutput.ingestionStateMachine]: stateMachineArn,
    [JobsStackOutput.batchStateMachine]: stateMachineArn,
    [JobsStackOutput.jobsTopic]: 'arn:aws:sns:us-east-1:123456789012:rag-serving-dev-jobs',
    [JobsStackOutput.embeddingModelId]: 'amazon.titan-embed-text-v2:0',
    [JobsStackOutput.pineconeIndexName]: 'rag-serving-dev',
    [JobsStackOutput.pineconeHost]: pinecone.host,
    [JobsStackOutput.pineconeNamespace]: 'default',
    [JobsStackOutput.pineconeApiKeySecret]: SECRET,
  };
  await cloudFormation.send(
    new CreateStackCommand({
      StackName: jobsStackName('dev'),
      TemplateBody: JSON.stringify({
        Resources: { Documents: { Type: 'AWS::S3::Bucket', Properties: { BucketName: BUCKET } } },
        Outputs: {
          [JobsStackOutput.documentsBucket]: { Value: { Ref: 'Documents' } },
          ...Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, { Value: value }])),
        },
      }),
    }),
  );
  // The stateful stack owns the jobs table.
  await cloudFormation.send(
    new CreateStackCommand({
      StackName: statefulStackName('dev'),
      TemplateBody: JSON.stringify({
        Resources: { Placeholder: { Type: 'AWS::SNS::Topic' } },
        Outputs: { [JobsStackOutput.jobsTable]: { Value: TABLE } },
      }),
    }),
  );
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: 'docs/guide.md',
      Body: `# Guide\n\n${paragraph('install')}`,
    }),
  );
  await s3.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: 'docs/faq.txt', Body: `FAQ\n\n${paragraph('question')}` }),
  );
  for (const client of [s3, sfn, secrets, cloudFormation]) client.destroy();
});

afterAll(async () => {
  await Promise.all([moto?.close(), bedrock?.close(), pinecone?.close(), dynamo?.close()]);
});

/** The CLI as a user's shell runs it: AWS credentials and region, here pointed at the stand-ins. */
async function ingest(...args: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  vi.stubEnv('AWS_REGION', MOTO_CLIENT_CONFIG.region);
  vi.stubEnv('AWS_ACCESS_KEY_ID', MOTO_CLIENT_CONFIG.credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', MOTO_CLIENT_CONFIG.credentials.secretAccessKey);
  for (const service of ['CLOUDFORMATION', 'S3', 'SECRETS_MANAGER', 'SFN'])
    vi.stubEnv(`AWS_ENDPOINT_URL_${service}`, moto.endpoint);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
  vi.stubEnv('BEDROCK_ENDPOINT', bedrock.endpoint);
  vi.stubEnv('PINECONE_CONTROLLER_HOST', pinecone.host);
  const stdout: string[] = [];
  const stderr: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void stdout.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void stderr.push(line));
  try {
    const code = await runIngestCommand(['node', 'ingest', ...args]);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  }
}

describe('npm run ingest -- --stage', () => {
  it("ingests the stage's documents bucket into its Pinecone index, then finds nothing to do", async () => {
    // Act
    const first = await ingest('--stage', 'dev');
    const calls = bedrock.requests.filter((r) => r.operation === 'InvokeModel').length;
    const second = await ingest('--stage', 'dev');
    // Assess
    expect(first.stderr.filter((line) => !/^ingest: \d+ documents$/.test(line))).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.stdout[0]).toMatch(
      new RegExp(`^Ingested s3://${BUCKET}/docs/ as source 'docs': 2 documents \\(2 added, 0 updated`),
    );
    expect(
      pinecone
        .vectors('default')
        .map((v) => v.id.split('#')[0])
        .sort(),
    ).toEqual(['docs:faq.txt', 'docs:guide.md']);
    expect(second.stdout[0]).toMatch(/2 documents \(0 added, 0 updated, 0 deleted, 2 unchanged/);
    expect(bedrock.requests.filter((r) => r.operation === 'InvokeModel')).toHaveLength(calls);
    // The key was read from Secrets Manager, and the index checked on the control plane before the first write.
    const paths = pinecone.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths.indexOf('GET /indexes/rag-serving-dev')).toBeGreaterThanOrEqual(0);
    expect(paths.indexOf('GET /indexes/rag-serving-dev')).toBeLessThan(paths.indexOf('POST /vectors/upsert'));
    expect(new Set(pinecone.requests.map((r) => r.apiKey))).toEqual(new Set([pinecone.apiKey]));
  });

  it("starts the stage's ingestion job with --remote", async () => {
    // Act
    const result = await ingest('--stage', 'dev', '--remote');
    // Assess
    expect(result.code).toBe(0);
    const sfn = new SFNClient(moto.clientConfig);
    const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
    sfn.destroy();
    expect(executions.map((execution) => execution.executionArn)).toEqual([result.stdout[0]]);
  });

  it('names the stack to deploy when the stage has none', async () => {
    // Act
    const result = await ingest('--stage', 'qa');
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr.at(-1)).toMatch(
      /Cannot read the stack rag-serving-qa-jobs in us-east-1 .*npx cdk deploy -c stage=qa --all/,
    );
  });
});
