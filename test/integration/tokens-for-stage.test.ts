/**
 * The first token of a deployed stage: `npm run tokens -- create --stage dev` finds the stage's
 * token table from its stack outputs (CloudFormation DescribeStacks) and writes the hash there,
 * against moto_server standing in for CloudFormation and DynamoDB.
 */
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoTokenStore } from '../../src/adapters/dynamodb/token-store.js';
import { authenticate } from '../../src/auth/authenticate.js';
import { runTokensCommand } from '../../src/cli/tokens.js';
import { systemClock } from '../../src/core/ports/clock.js';
import { StackOutput, statefulStackName } from '../../src/shared/stack-outputs.js';
import { TOKEN_TABLE_KEYS } from '../../src/shared/tokens.js';
import { MOTO_ENVIRONMENT, startMotoServer, type MotoServer } from '../support/moto-server.js';

let moto: MotoServer;

beforeAll(async () => {
  moto = await startMotoServer();
  for (const [name, value] of Object.entries({ ...MOTO_ENVIRONMENT, AWS_ENDPOINT_URL: moto.endpoint })) {
    vi.stubEnv(name, value);
  }
  // The stateful stack of a deployed dev stage: the token table and its named output.
  await new CloudFormationClient({}).send(
    new CreateStackCommand({
      StackName: statefulStackName('dev'),
      TemplateBody: JSON.stringify({
        Resources: {
          Tokens: {
            Type: 'AWS::DynamoDB::Table',
            Properties: {
              TableName: 'rag-serving-dev-stateful-TokensTable-1A2B3C',
              AttributeDefinitions: [{ AttributeName: TOKEN_TABLE_KEYS.partitionKey, AttributeType: 'S' }],
              KeySchema: [{ AttributeName: TOKEN_TABLE_KEYS.partitionKey, KeyType: 'HASH' }],
              BillingMode: 'PAY_PER_REQUEST',
            },
          },
        },
        Outputs: { [StackOutput.tokenTable]: { Value: { Ref: 'Tokens' } } },
      }),
    }),
  );
  await new CloudFormationClient({}).send(
    new CreateStackCommand({
      StackName: 'rag-serving-dev-serving',
      TemplateBody: JSON.stringify({
        Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
        Outputs: {
          [StackOutput.apiUrl]: { Value: 'https://abc123.execute-api.us-east-1.amazonaws.com/dev/' },
        },
      }),
    }),
  );
}, 120_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await moto?.close();
});

async function tokens(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runTokensCommand(['node', 'tokens', ...args], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: {},
  });
  return { code, out, err };
}

describe('tokens CLI for a deployed stage', () => {
  it("creates the first token in the stage's token table, found from the stack outputs", async () => {
    // Act
    const created = await tokens(
      '--stage',
      'dev',
      'create',
      '--principal',
      'alice@example.com',
      '--scopes',
      'admin',
    );
    const listed = await tokens('--stage', 'dev', 'list', '--json');

    // Assess
    expect(created.code).toBe(0);
    expect(created.err[0]).toBe('Stage dev: token table rag-serving-dev-stateful-TokensTable-1A2B3C.');
    const token = created.out[0]!;
    const store = new DynamoTokenStore({
      tableName: 'rag-serving-dev-stateful-TokensTable-1A2B3C',
      client: new DynamoDBClient({}),
    });
    expect(await authenticate(token, store, systemClock)).toEqual({
      id: 'alice@example.com',
      scopes: ['admin'],
    });
    expect(JSON.parse(listed.out.join('\n'))).toEqual([
      expect.objectContaining({ principal: 'alice@example.com', scopes: ['admin'], status: 'active' }),
    ]);
    expect(listed.out.join('\n')).not.toContain(token);
  });

  it('says how to deploy a stage that is not there, and exits non-zero', async () => {
    // Act
    const result = await tokens('--stage', 'qa', 'create', '--principal', 'bob');

    // Assess
    expect(result.code).toBe(1);
    expect(result.err.join('\n')).toBe(
      "tokens failed: Stage 'qa' is not deployed in us-east-1: stack rag-serving-qa-stateful does not exist. " +
        'Deploy it with npx cdk deploy -c stage=qa --all, or use the region it is deployed in (AWS_REGION).',
    );
    expect(result.out).toEqual([]);
  });
});
