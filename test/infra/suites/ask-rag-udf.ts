import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { modelResourceArns } from '../../../lib/config/bedrock-models.js';
import { getStageConfig, type StageConfig } from '../../../lib/config/stages.js';
import { ServingStack } from '../../../lib/stacks/serving-stack.js';
import { StatefulStack } from '../../../lib/stacks/stateful-stack.js';
import { loadSecurityConfig } from '../../../src/config/security-config.js';
import { loadServingConfig } from '../../../src/config/serving-config.js';
import { EnvVar } from '../../../src/shared/env.js';
import {
  CDK_JSON_CONTEXT,
  asList,
  flatten,
  logicalIdAt,
  producerValue,
  roleStatements,
  stageTemplates,
} from '../support/stage-app.js';

const tableArnOf = (stateful: Template, name: 'Sessions' | 'Usage') => ({
  'Fn::GetAtt': [logicalIdAt(stateful, 'AWS::DynamoDB::Table', `${name}/Table/Resource`), 'Arn'],
});

const askRagFunction = (serving: Template) =>
  serving.findResources('AWS::Lambda::Function')[
    logicalIdAt(serving, 'AWS::Lambda::Function', 'AskRag/Bundled/Function/Resource')
  ]!;

/** A stage's two stacks built from a configuration of the test's own, as bin/app.ts builds them. */
function synthWith(config: StageConfig): Template {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const env = { region: 'us-east-1' };
  const stateful = new StatefulStack(app, 'stateful', { env, config });
  const serving = new ServingStack(app, 'serving', {
    env,
    config,
    sessionTable: stateful.sessions.table,
    tokenTable: stateful.tokens.table,
    usageTable: stateful.usage.table,
    pineconeApiKey: stateful.pineconeApiKey,
  });
  return Template.fromStack(serving);
}

describe('Serving stack: ask_rag for Amazon Redshift', () => {
  it.each(['dev', 'qa', 'prod'] as const)(
    'deploys the UDF on %s with an environment its loaders accept: the cloud adapters, the quotas, the row budget',
    (stage) => {
      // Prepare
      const { serving, stateful, built } = stageTemplates(stage);
      const { config } = built;
      const fn = askRagFunction(serving).Properties;
      const variables = fn.Environment.Variables as Record<string, unknown>;
      // Deployed, CloudFormation fills in the table names and the created guardrail's id and
      // version; any valid value stands in for them here.
      const deployed: Record<string, string> = {
        [EnvVar.guardrailId]: 'abc123def456',
        [EnvVar.guardrailVersion]: '1',
      };
      const env = Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [
          name,
          typeof value === 'string' ? value : (deployed[name] ?? `${stage}-table`),
        ]),
      );

      // Act
      const serving_ = loadServingConfig(env);
      const security = loadSecurityConfig(env);

      // Assess
      expect(fn).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: 300 });
      expect(producerValue(stateful, variables[EnvVar.sessionTable])).toEqual({
        Ref: logicalIdAt(stateful, 'AWS::DynamoDB::Table', 'Sessions/Table/Resource'),
      });
      expect(serving_.backend).toBe('aws');
      expect(serving_.backends.generator).toEqual({
        kind: 'bedrock',
        modelId: config.models.generationModelId,
      });
      expect(serving_.requestTimeoutMs).toBe(config.invocations.requestTimeoutMs);
      expect(serving_.batchConcurrency).toBe(8);
      expect(serving_.sessionTtlDays).toBe(config.sessions.ttlDays);
      expect([security.quotaRpm, security.quotaTpm]).toEqual([
        config.quotas.requestsPerMinute,
        config.quotas.tokensPerMinute,
      ]);
    },
  );

  it('lets Redshift, and only Redshift, assume a role that may invoke the UDF and nothing else', () => {
    // Prepare
    const { serving } = stageTemplates('prod');
    const roleId = logicalIdAt(serving, 'AWS::IAM::Role', 'AskRag/RedshiftInvokeRole/Resource');
    const functionId = logicalIdAt(serving, 'AWS::Lambda::Function', 'AskRag/Bundled/Function/Resource');

    // Act
    const role = serving.findResources('AWS::IAM::Role')[roleId]!.Properties;
    const statements = roleStatements(serving, 'AskRag/RedshiftInvokeRole');

    // Assess
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'redshift.amazonaws.com' } },
    ]);
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(statements).toEqual([
      {
        Sid: 'InvokeAskRag',
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [functionId, 'Arn'] },
      },
    ]);
  });

  it('lets the UDF store turns, count usage, call the named models without streaming, and read the one secret', () => {
    // Prepare
    const { stateful, serving, built } = stageTemplates('prod');
    const { models, pinecone } = built.config;
    const guardrailId = logicalIdAt(serving, 'AWS::Bedrock::Guardrail', 'Guardrail/Resource');
    const arnContext = { partition: 'aws', region: 'us-east-1', account: '<Ref:AWS::AccountId>' };

    // Act
    const statements = roleStatements(serving, 'AskRag/Bundled/Role');
    const byPrefix = (prefix: string) =>
      statements
        .filter((s) => asList(s.Action).some((a) => a.startsWith(prefix)))
        .map((s) => ({ actions: asList(s.Action).sort(), resources: asList(s.Resource) }));

    // Assess
    const tables = byPrefix('dynamodb:').map(({ actions, resources }) => ({
      actions,
      resources: resources.map((r) => producerValue(stateful, r)),
    }));
    expect(tables).toEqual([
      {
        // No deletes, no batch writes, no owner index: answering never erases or lists sessions.
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        resources: [tableArnOf(stateful, 'Sessions')],
      },
      { actions: ['dynamodb:UpdateItem'], resources: [tableArnOf(stateful, 'Usage')] },
    ]);
    const bedrock = byPrefix('bedrock:').map(({ actions, resources }) => ({
      actions,
      resources: resources.map(flatten),
    }));
    expect(bedrock).toEqual([
      { actions: ['bedrock:InvokeModel'], resources: modelResourceArns(models.embeddingModelId, arnContext) },
      {
        actions: ['bedrock:InvokeModel'],
        resources: expect.arrayContaining(modelResourceArns(models.generationModelId, arnContext)),
      },
      {
        actions: ['bedrock:ApplyGuardrail'],
        // The guardrail the stack creates from the stage's policies.
        resources: [
          `arn:aws:bedrock:us-east-1:<Ref:AWS::AccountId>:guardrail/<GetAtt:${guardrailId}.GuardrailId>`,
        ],
      },
    ]);
    expect(byPrefix('secretsmanager:').map((s) => s.resources.map(flatten))).toEqual([
      [`arn:aws:secretsmanager:us-east-1:<Ref:AWS::AccountId>:secret:${pinecone.apiKeySecretName}-??????`],
    ]);
    expect(byPrefix('lambda:')).toEqual([]);
    // Only X-Ray, which supports no resource-level permissions, gets `*`.
    const wildcard = statements.filter((s) =>
      asList(s.Resource)
        .map(flatten)
        .some((r) => r.includes('*')),
    );
    expect(wildcard.flatMap((s) => asList(s.Action)).sort()).toEqual([
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('outputs the role ARN for CREATE EXTERNAL FUNCTION and the function name', () => {
    // Prepare
    const { serving } = stageTemplates('qa');

    // Act
    const outputs = serving.toJSON().Outputs as Record<string, { Value: unknown }>;

    // Assess
    expect(outputs.AskRagRedshiftRoleArn?.Value).toEqual({
      'Fn::GetAtt': [logicalIdAt(serving, 'AWS::IAM::Role', 'AskRag/RedshiftInvokeRole/Resource'), 'Arn'],
    });
    expect(outputs.AskRagFunctionName?.Value).toEqual({
      Ref: logicalIdAt(serving, 'AWS::Lambda::Function', 'AskRag/Bundled/Function/Resource'),
    });
  });

  it('leaves the function, the role and the outputs out when the stage turns sqlFunction off', () => {
    // Prepare
    const config: StageConfig = { ...getStageConfig('qa'), sqlFunction: { enabled: false } };

    // Act
    const serving = synthWith(config);

    // Assess
    const paths = Object.values(
      serving.toJSON().Resources as Record<string, { Metadata?: Record<string, string> }>,
    ).map((r) => r.Metadata?.['aws:cdk:path'] ?? '');
    expect(paths.filter((path) => path.includes('/AskRag/'))).toEqual([]);
    expect(Object.keys(serving.toJSON().Outputs as object)).not.toContain('AskRagRedshiftRoleArn');
    expect(Object.keys(serving.findResources('AWS::Lambda::Function'))).toHaveLength(2);
  });

  it('refuses a sqlFunction section with unknown keys, naming them', () => {
    expect(() => getStageConfig('dev', { ...stagesWith({ enabled: true, extra: 1 }) })).toThrow(
      /sqlFunction: unknown key 'extra'/,
    );
  });
});

function stagesWith(sqlFunction: unknown) {
  const dev = getStageConfig('dev');
  return {
    dev: { ...dev, sqlFunction } as StageConfig,
    qa: getStageConfig('qa'),
    prod: getStageConfig('prod'),
  };
}
