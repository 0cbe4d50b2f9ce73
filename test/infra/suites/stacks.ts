import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../../bin/app.js';
import { modelResourceArns } from '../../../lib/config/bedrock-models.js';
import type { StageName } from '../../../lib/config/stages.js';
import { InvocationsFunction } from '../../../lib/constructs/invocations-function.js';
import { SessionTable } from '../../../lib/constructs/session-table.js';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { loadServingConfig } from '../../../src/config/serving-config.js';
import { EnvVar } from '../../../src/shared/env.js';
import {
  SESSION_OWNER_INDEX,
  SESSION_TABLE_KEYS,
  SESSION_TTL_ATTRIBUTE,
} from '../../../src/shared/sessions.js';
import { TOKEN_TABLE_KEYS } from '../../../src/shared/tokens.js';
import { USAGE_TABLE_KEYS, USAGE_TTL_ATTRIBUTE } from '../../../src/shared/usage.js';
import {
  CDK_JSON_CONTEXT,
  asList,
  flatten,
  logicalIdAt,
  producerValue,
  roleStatements,
  stageTemplates,
  synthStage,
} from '../support/stage-app.js';

const tableId = (stateful: Template, name: 'Sessions' | 'Tokens' | 'Usage') =>
  logicalIdAt(stateful, 'AWS::DynamoDB::Table', `${name}/Table/Resource`);

const functionAt = (serving: Template, name: 'Invocations' | 'Authorizer' | 'AskRag' | 'PreTrafficHook') =>
  serving.findResources('AWS::Lambda::Function')[
    logicalIdAt(serving, 'AWS::Lambda::Function', `${name}/Bundled/Function/Resource`)
  ]!;

describe('App', () => {
  const expectedAcknowledgements: Record<StageName, string[]> = {
    dev: [
      'AwsSolutions-APIG2',
      'AwsSolutions-APIG3',
      'AwsSolutions-APIG4',
      'AwsSolutions-APIG6',
      'AwsSolutions-COG4',
      'AwsSolutions-DDB3',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'AwsSolutions-IAM5[Resource::*]',
    ],
    qa: [
      'AwsSolutions-APIG2',
      'AwsSolutions-APIG3',
      'AwsSolutions-APIG4',
      'AwsSolutions-APIG6',
      'AwsSolutions-COG4',
      'AwsSolutions-DDB3',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'AwsSolutions-IAM5[Resource::*]',
    ],
    prod: [
      'AwsSolutions-APIG2',
      'AwsSolutions-APIG4',
      'AwsSolutions-APIG6',
      'AwsSolutions-COG4',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<PreTrafficHookBundledFunction43010172.Arn>:*]',
    ],
  };

  it.each(['dev', 'qa', 'prod'] as const)(
    'synthesizes %s with cdk-nag AwsSolutions checks and only the expected acknowledgements',
    (stage) => {
      // Prepare
      const { app } = stageTemplates(stage).built;

      // Act
      const assembly = app.synth();

      // Assess
      const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
        pluginReports: {
          pluginName: string;
          violations: unknown[];
          suppressedViolations?: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
        }[];
      };
      const nag = report.pluginReports.find((r) => r.pluginName === 'AwsSolutions');
      expect(nag?.violations).toEqual([]);
      // The jobs stack's acknowledgements name resources by logical id; suites/jobs.ts checks them.
      const acknowledged = [
        ...new Set(
          (nag?.suppressedViolations ?? [])
            .filter(
              (v) =>
                !v.violatingConstructs.every((c) => c.constructPath.startsWith(`rag-serving-${stage}-jobs/`)),
            )
            .map((v) => v.ruleName),
        ),
      ].sort();
      expect(acknowledged).toEqual(expectedAcknowledgements[stage]);
    },
  );

  it('names stacks after the stage and deploys serving after stateful, in the CLI account', () => {
    // Prepare
    vi.stubEnv('CDK_DEFAULT_ACCOUNT', '123456789012');

    // Act
    const { app, stateful, serving } = synthStage('qa');
    app.synth();

    // Assess
    expect(stateful.stackName).toBe('rag-serving-qa-stateful');
    expect(serving.stackName).toBe('rag-serving-qa-serving');
    expect(serving.dependencies).toContain(stateful);
    expect([serving.account, serving.region]).toEqual(['123456789012', 'us-east-1']);
    // Same account: the grants live in the functions' roles, not in table resource policies.
    Template.fromStack(stateful).allResourcesProperties('AWS::DynamoDB::Table', {
      ResourcePolicy: Match.absent(),
    });
  });

  it('takes the region from the CLI when the stage config has none, and fails without one', () => {
    // Prepare
    vi.stubEnv('CDK_DEFAULT_REGION', 'us-west-2');

    // Act
    const { serving } = synthStage('dev');

    // Assess
    expect(serving.region).toBe('us-west-2');
    vi.stubEnv('CDK_DEFAULT_REGION', '');
    expect(() => synthStage('dev')).toThrow(/No region for stage 'dev'/);
  });

  it('refuses a CLI region that the stage inference profiles cannot be called from', () => {
    // Prepare
    vi.stubEnv('CDK_DEFAULT_REGION', 'eu-west-1');

    // Act
    const act = () => synthStage('dev');

    // Assess
    expect(act).toThrow(
      /Inference profile 'us.amazon.nova-lite-v1:0' routes within us-east-1, .* cannot be called from eu-west-1/,
    );
  });

  it('rejects an unknown stage given as context', () => {
    // Prepare
    const app = new App({ context: { stage: 'staging', 'aws:cdk:bundling-stacks': [] } });

    // Act
    const act = () => buildApp(app);

    // Assess
    expect(act).toThrow("Unknown stage 'staging': use one of dev, qa, prod");
  });

  // The one synthesis with real bundling (the others skip it for speed): esbuild must produce
  // ESM bundles with the createRequire banner and source maps for every function.
  it('bundles every function with the local esbuild into ESM with source maps', () => {
    // Prepare
    const { app, serving } = synthStage('dev', { bundle: true });

    // Act
    const assembly = app.synth();

    // Assess
    const functions = Template.fromStack(serving).findResources('AWS::Lambda::Function');
    const assetDirs = Object.values(functions).map((fn) =>
      join(assembly.directory, String(fn.Metadata?.['aws:asset:path'])),
    );
    expect(assetDirs).toHaveLength(3);
    for (const dir of assetDirs) {
      const bundle = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(bundle.startsWith('import { createRequire as __ragCreateRequire }')).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
      expect(bundle).not.toMatch(/^\s*(?:const|var|let)\s+\w+\s*=\s*require\(["']@aws-sdk/m);
    }
  }, 60_000);
});

describe('Stateful stack: tables', () => {
  it('uses the shared key names and TTL attributes, on demand, AWS-managed encryption', () => {
    // Prepare
    const { stateful } = stageTemplates('dev');

    // Act
    const tables = stateful.findResources('AWS::DynamoDB::Table');

    // Assess
    // Sessions, tokens, usage counters, and the jobs table (suites/jobs.ts checks its keys).
    expect(Object.keys(tables)).toHaveLength(4);
    const sessions = tables[tableId(stateful, 'Sessions')]!.Properties;
    const tokens = tables[tableId(stateful, 'Tokens')]!.Properties;
    const usage = tables[tableId(stateful, 'Usage')]!.Properties;
    expect(sessions.KeySchema).toEqual([
      { AttributeName: SESSION_TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: SESSION_TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ]);
    expect(sessions.TimeToLiveSpecification).toEqual({ AttributeName: SESSION_TTL_ATTRIBUTE, Enabled: true });
    expect(sessions.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: SESSION_OWNER_INDEX.indexName,
        KeySchema: [
          { AttributeName: SESSION_OWNER_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: SESSION_OWNER_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(sessions.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: SESSION_OWNER_INDEX.partitionKey, AttributeType: 'S' },
        { AttributeName: SESSION_OWNER_INDEX.sortKey, AttributeType: 'N' },
      ]),
    );
    expect(tokens.KeySchema).toEqual([{ AttributeName: TOKEN_TABLE_KEYS.partitionKey, KeyType: 'HASH' }]);
    expect(tokens.AttributeDefinitions).toEqual([
      { AttributeName: TOKEN_TABLE_KEYS.partitionKey, AttributeType: 'S' },
    ]);
    expect(tokens.TimeToLiveSpecification).toBeUndefined();
    expect(usage.KeySchema).toEqual([{ AttributeName: USAGE_TABLE_KEYS.partitionKey, KeyType: 'HASH' }]);
    expect(usage.TimeToLiveSpecification).toEqual({ AttributeName: USAGE_TTL_ATTRIBUTE, Enabled: true });
    for (const table of Object.values(tables)) {
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
      });
    }
  });

  it('keeps every prod table with point-in-time recovery and deletion protection', () => {
    // Prepare
    const { stateful, built } = stageTemplates('prod');

    // Act
    const tables = Object.values(stateful.findResources('AWS::DynamoDB::Table'));

    // Assess
    expect(tables).toHaveLength(4);
    for (const table of tables) {
      expect(table).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        },
      });
    }
    expect(built.stateful.terminationProtection).toBe(true);
  });

  it('lets every dev table go with its stack, without point-in-time recovery', () => {
    // Prepare
    const { stateful } = stageTemplates('dev');

    // Act
    const tables = Object.values(stateful.findResources('AWS::DynamoDB::Table'));

    // Assess
    for (const table of tables) {
      expect(table).toMatchObject({
        DeletionPolicy: 'Delete',
        UpdateReplacePolicy: 'Delete',
        Properties: { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false } },
      });
    }
  });

  it('references the Pinecone key secret by name instead of creating it', () => {
    // Prepare
    const { stateful, serving, built } = stageTemplates('qa');

    // Act
    const secrets = [stateful, serving].map((t) =>
      Object.keys(t.findResources('AWS::SecretsManager::Secret')),
    );

    // Assess
    expect(secrets).toEqual([[], []]);
    expect(built.stateful.pineconeApiKey.secretName).toBe(built.config.pinecone.apiKeySecretName);
  });
});

describe('Serving stack: functions', () => {
  it('runs every function on Node 24, arm64, traced, the invocations function sized from the stage config', () => {
    // Prepare
    const { serving, built } = stageTemplates('prod');
    const { config } = built;

    // Act
    const invocations = functionAt(serving, 'Invocations').Properties;
    const authorizer = functionAt(serving, 'Authorizer').Properties;
    const askRag = functionAt(serving, 'AskRag').Properties;

    // Assess: the fourth is the pre-traffic hook of the canary (prod only).
    expect(Object.keys(serving.findResources('AWS::Lambda::Function'))).toHaveLength(4);
    for (const fn of [invocations, authorizer, askRag, functionAt(serving, 'PreTrafficHook').Properties]) {
      expect(fn).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
      });
    }
    expect([invocations.MemorySize, invocations.Timeout]).toEqual([
      config.invocations.memorySizeMb,
      config.invocations.timeoutSeconds,
    ]);
    expect([authorizer.MemorySize, authorizer.Timeout]).toEqual([
      config.authorizer.memorySizeMb,
      config.authorizer.timeoutSeconds,
    ]);
  });

  it('configures the invocations function under the shared env names, tables by reference', () => {
    // Prepare
    const { stateful, serving, built } = stageTemplates('dev');
    const { config } = built;

    // Act
    const variables = functionAt(serving, 'Invocations').Properties.Environment.Variables as Record<
      string,
      unknown
    >;

    // Assess
    expect(producerValue(stateful, variables[EnvVar.sessionTable])).toEqual({
      Ref: tableId(stateful, 'Sessions'),
    });
    expect(producerValue(stateful, variables[EnvVar.usageTable])).toEqual({
      Ref: tableId(stateful, 'Usage'),
    });
    expect(variables).toMatchObject({
      [EnvVar.endpointName]: config.endpointName,
      [EnvVar.sessionTtlDays]: String(config.sessions.ttlDays),
      [EnvVar.requestTimeoutMs]: String(config.invocations.requestTimeoutMs),
      [EnvVar.embeddingModelId]: config.models.embeddingModelId,
      [EnvVar.generationModelId]: config.models.generationModelId,
      // The guardrail and the version the stack creates from the stage's policies.
      [EnvVar.guardrailId]: {
        'Fn::GetAtt': [logicalIdAt(serving, 'AWS::Bedrock::Guardrail', 'Guardrail/Resource'), 'GuardrailId'],
      },
      [EnvVar.guardrailVersion]: {
        'Fn::GetAtt': [Object.keys(serving.findResources('AWS::Bedrock::GuardrailVersion'))[0], 'Version'],
      },
      [EnvVar.pineconeIndex]: config.pinecone.indexName,
      [EnvVar.pineconeNamespace]: config.pinecone.namespace,
      // The secret's name: the key itself is read from Secrets Manager at runtime.
      [EnvVar.pineconeApiKeySecretId]: config.pinecone.apiKeySecretName,
      [EnvVar.quotaRpm]: String(config.quotas.requestsPerMinute),
      [EnvVar.quotaTpm]: String(config.quotas.tokensPerMinute),
      [EnvVar.logLevel]: 'INFO',
    });
    const authorizer = functionAt(serving, 'Authorizer').Properties.Environment.Variables as Record<
      string,
      unknown
    >;
    expect(producerValue(stateful, authorizer[EnvVar.tokenTable])).toEqual({
      Ref: tableId(stateful, 'Tokens'),
    });
  });

  it.each(['dev', 'prod'] as const)(
    'gives the %s function an environment its configuration loader accepts, selecting the cloud adapters',
    (stage) => {
      // Prepare
      const { serving, built } = stageTemplates(stage);
      const { config } = built;
      const variables = functionAt(serving, 'Invocations').Properties.Environment.Variables as Record<
        string,
        unknown
      >;
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
      const loaded = loadServingConfig(env);

      // Assess
      expect(loaded.backend).toBe('aws');
      expect(loaded.backends).toMatchObject({
        embedder: { kind: 'bedrock', modelId: config.models.embeddingModelId },
        index: {
          kind: 'pinecone',
          indexName: config.pinecone.indexName,
          namespace: config.pinecone.namespace,
          apiKey: { secretId: config.pinecone.apiKeySecretName },
        },
        generator: { kind: 'bedrock', modelId: config.models.generationModelId },
        guardrail: { kind: 'bedrock', guardrailId: 'abc123def456', guardrailVersion: '1' },
      });
      expect(loaded.requestTimeoutMs).toBe(config.invocations.requestTimeoutMs);
    },
  );

  it('lets the invocations function use only its tables, the named models and guardrail, and the one secret', () => {
    // Prepare
    const { stateful, serving, built } = stageTemplates('prod');
    const arnContext = { partition: 'aws', region: 'us-east-1', account: '<Ref:AWS::AccountId>' };

    // Act
    const statements = roleStatements(serving, 'Invocations/Bundled/Role');
    const resourcesOf = (prefix: string) =>
      statements
        .filter((s) => asList(s.Action).some((a) => a.startsWith(prefix)))
        .map((s) => ({ actions: asList(s.Action), resources: asList(s.Resource).map(flatten) }));

    // Assess
    // A table ARN from the stateful stack, written as `<Sessions>` (cross-stack reference resolved).
    const tableOf = (resource: unknown): string => {
      const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
      if (join) return join[1].map((part) => (typeof part === 'string' ? part : tableOf(part))).join(join[0]);
      const arn = producerValue(stateful, resource) as { 'Fn::GetAtt': [string, string] };
      const name = (['Sessions', 'Tokens', 'Usage'] as const).find(
        (t) => tableId(stateful, t) === arn['Fn::GetAtt'][0],
      );
      return `<${name}>`;
    };
    const tables = statements
      .filter((s) => asList(s.Action).some((a) => a.startsWith('dynamodb:')))
      .map((s) => ({ actions: asList(s.Action).sort(), resources: asList(s.Resource).map(tableOf) }));
    expect(tables).toEqual([
      {
        actions: [
          'dynamodb:BatchWriteItem',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        resources: ['<Sessions>'],
      },
      { actions: ['dynamodb:Query'], resources: [`<Sessions>/index/${SESSION_OWNER_INDEX.indexName}`] },
      { actions: ['dynamodb:UpdateItem'], resources: ['<Usage>'] },
      // Single token records: the admin token of GET /health?deep=true, which has no authorizer.
      { actions: ['dynamodb:GetItem'], resources: ['<Tokens>'] },
    ]);

    const { models } = built.config;
    const guardrailId = logicalIdAt(serving, 'AWS::Bedrock::Guardrail', 'Guardrail/Resource');
    expect(resourcesOf('bedrock:')).toEqual([
      { actions: ['bedrock:InvokeModel'], resources: modelResourceArns(models.embeddingModelId, arnContext) },
      {
        actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        resources: expect.arrayContaining(modelResourceArns(models.generationModelId, arnContext)),
      },
      {
        actions: ['bedrock:ApplyGuardrail'],
        resources: [
          `arn:aws:bedrock:us-east-1:<Ref:AWS::AccountId>:guardrail/<GetAtt:${guardrailId}.GuardrailId>`,
        ],
      },
    ]);
    expect(resourcesOf('bedrock:')[1]!.resources).toHaveLength(5);
    expect(resourcesOf('secretsmanager:')).toEqual([
      {
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        resources: [
          `arn:aws:secretsmanager:us-east-1:<Ref:AWS::AccountId>:secret:${built.config.pinecone.apiKeySecretName}-??????`,
        ],
      },
    ]);
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
    const roles = serving.findResources('AWS::IAM::Role');
    for (const name of ['Invocations', 'Authorizer']) {
      const id = logicalIdAt(serving, 'AWS::IAM::Role', `${name}/Bundled/Role/Resource`);
      expect(roles[id]!.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('lets the authorizer read single token records and nothing else', () => {
    // Prepare
    const { stateful, serving } = stageTemplates('qa');

    // Act
    const statements = roleStatements(serving, 'Authorizer/Bundled/Role');

    // Assess
    const data = statements.filter(
      (s) => !asList(s.Action).some((a) => a.startsWith('logs:') || a.startsWith('xray:')),
    );
    expect(data).toHaveLength(1);
    expect(data[0]!.Action).toBe('dynamodb:GetItem');
    expect(producerValue(stateful, data[0]!.Resource)).toEqual({
      'Fn::GetAtt': [tableId(stateful, 'Tokens'), 'Arn'],
    });
  });

  it('logs each function and the API to its own log group with the stage retention', () => {
    // Prepare
    const { serving, built } = stageTemplates('qa');

    // Act
    const logGroups = serving.findResources('AWS::Logs::LogGroup');

    // Assess
    expect(Object.keys(logGroups)).toHaveLength(4);
    for (const group of Object.values(logGroups)) {
      expect(group.Properties.RetentionInDays).toBe(built.config.logRetentionDays);
    }
    for (const name of ['Invocations', 'Authorizer', 'AskRag'] as const) {
      const id = logicalIdAt(serving, 'AWS::Logs::LogGroup', `${name}/Bundled/LogGroup/Resource`);
      expect(functionAt(serving, name).Properties.LoggingConfig).toEqual({ LogGroup: { Ref: id } });
    }
  });
});

describe('Serving stack: scaling', () => {
  it('publishes prod behind a live alias with autoscaled provisioned concurrency, released by a canary', () => {
    // Prepare
    const { serving, built } = stageTemplates('prod');
    const provisioned = built.config.invocations.provisionedConcurrency!;

    // Act
    const aliasId = logicalIdAt(serving, 'AWS::Lambda::Alias', 'ProvisionedScaling/Alias/Resource');

    // Assess
    // No value on the alias: the scalable target's min sets it once, and a deploy never resets
    // what scaling raised it to.
    serving.hasResource('AWS::Lambda::Alias', {
      Properties: Match.objectLike({ Name: 'live', ProvisionedConcurrencyConfig: Match.absent() }),
      UpdatePolicy: { CodeDeployLambdaAliasUpdate: Match.anyValue() },
    });
    serving.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: provisioned.min,
      MaxCapacity: provisioned.max,
      ScalableDimension: 'lambda:function:ProvisionedConcurrency',
    });
    serving.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'LambdaProvisionedConcurrencyUtilization' },
        TargetValue: provisioned.targetUtilization,
      },
    });
    const rollbackAlarms = built.serving.alarms.deploymentAlarms.map((a) => ({
      Name: { Ref: Stack.of(a).getLogicalId(a.node.defaultChild as CfnElement) },
    }));
    serving.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent10Minutes',
      AlarmConfiguration: { Enabled: true, Alarms: rollbackAlarms },
      AutoRollbackConfiguration: { Enabled: true, Events: Match.arrayWith(['DEPLOYMENT_STOP_ON_ALARM']) },
    });
    // Before any traffic moves, the hook runs the deep readiness check on the new version.
    const hookId = logicalIdAt(serving, 'AWS::Lambda::Function', 'PreTrafficHook/Bundled/Function/Resource');
    const versionId = logicalIdAt(
      serving,
      'AWS::Lambda::Version',
      'Invocations/Bundled/Function/CurrentVersion/Resource',
    );
    expect(
      serving.findResources('AWS::Lambda::Alias')[aliasId]!.UpdatePolicy.CodeDeployLambdaAliasUpdate
        .BeforeAllowTrafficHook,
    ).toEqual({ Ref: hookId });
    expect(
      functionAt(serving, 'PreTrafficHook').Properties.Environment.Variables[EnvVar.preTrafficTarget],
    ).toEqual({
      Ref: versionId,
    });
    const invoke = roleStatements(serving, 'PreTrafficHook/Bundled/Role').find((s) =>
      asList(s.Action).includes('lambda:InvokeFunction'),
    );
    expect(asList(invoke!.Resource)).toEqual([{ Ref: versionId }]);
    // API Gateway invokes the alias, so requests land on provisioned environments.
    const integrationUris = Object.values(serving.findResources('AWS::ApiGateway::Method')).map((m) =>
      flatten(m.Properties.Integration.Uri),
    );
    expect(new Set(integrationUris)).toEqual(
      new Set([
        `arn:aws:apigateway:us-east-1:lambda:path/2021-11-15/functions/<Ref:${aliasId}>/response-streaming-invocations`,
      ]),
    );
    serving.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { Ref: aliasId },
      Principal: 'apigateway.amazonaws.com',
    });
  });

  it.each(['dev', 'qa'] as const)(
    'lets %s scale to zero: no alias, no provisioned concurrency, no deployment group',
    (stage) => {
      // Prepare
      const { serving } = stageTemplates(stage);

      // Act
      const functionId = logicalIdAt(
        serving,
        'AWS::Lambda::Function',
        'Invocations/Bundled/Function/Resource',
      );

      // Assess
      for (const type of [
        'AWS::Lambda::Alias',
        'AWS::Lambda::Version',
        'AWS::ApplicationAutoScaling::ScalableTarget',
        'AWS::CodeDeploy::DeploymentGroup',
      ]) {
        serving.resourceCountIs(type, 0);
      }
      const integrationUris = Object.values(serving.findResources('AWS::ApiGateway::Method')).map((m) =>
        flatten(m.Properties.Integration.Uri),
      );
      expect(new Set(integrationUris)).toEqual(
        new Set([
          `arn:aws:apigateway:us-east-1:lambda:path/2021-11-15/functions/<GetAtt:${functionId}.Arn>/response-streaming-invocations`,
        ]),
      );
    },
  );
});

describe('Construct validation', () => {
  it('rejects a session TTL over a year and DESTROY with deletion protection', () => {
    // Prepare
    const stack = new Stack();

    // Act
    const tooLong = () => new SessionTable(stack, 'TooLong', { turnTtl: Duration.days(400) });
    const contradictory = () =>
      new SessionTable(stack, 'Contradictory', {
        removalPolicy: RemovalPolicy.DESTROY,
        deletionProtection: true,
      });

    // Assess
    expect(tooLong).toThrow('turnTtl must be between 1 and 365 days, got 400');
    expect(contradictory).toThrow(/deletionProtection with removalPolicy DESTROY/);
  });

  it('rejects a request budget that does not end before the Lambda timeout', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Test');
    const { table } = new SessionTable(stack, 'Sessions');

    // Act
    const budget = () =>
      new InvocationsFunction(stack, 'Budget', {
        sessionTable: table,
        timeout: Duration.seconds(10),
        requestTimeout: Duration.seconds(10),
        bedrock: {
          embeddingModelId: 'amazon.titan-embed-text-v2:0',
          generationModelId: 'amazon.nova-lite-v1:0',
          guardrailId: 'abc',
          guardrailVersion: 'DRAFT',
        },
        pinecone: {
          indexName: 'docs',
          namespace: 'default',
          apiKeySecret: Secret.fromSecretNameV2(stack, 'Key', 'pinecone'),
        },
      });

    // Assess
    expect(budget).toThrow('requestTimeout (10000 ms) must be shorter than timeout (10000 ms)');
  });

  it('passes an optional condense model and Pinecone host on, and lets the function invoke that model too', () => {
    // Prepare
    const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Condense', { env: { region: 'us-east-1', account: '123456789012' } });
    const { table } = new SessionTable(stack, 'Sessions');

    // Act
    new InvocationsFunction(stack, 'Invocations', {
      sessionTable: table,
      bedrock: {
        embeddingModelId: 'amazon.titan-embed-text-v2:0',
        generationModelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
        condenseModelId: 'amazon.nova-micro-v1:0',
        guardrailId: 'abc123',
        guardrailVersion: '1',
        guardrailStreamMode: 'async',
      },
      pinecone: {
        indexName: 'docs',
        host: 'docs-abc123.svc.aped-4627-b74a.pinecone.io',
        namespace: 'default',
        apiKeySecret: Secret.fromSecretNameV2(stack, 'Key', 'pinecone'),
      },
    });

    // Assess
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [EnvVar.condenseModelId]: 'amazon.nova-micro-v1:0',
          [EnvVar.pineconeHost]: 'docs-abc123.svc.aped-4627-b74a.pinecone.io',
          [EnvVar.guardrailStreamMode]: 'async',
        }),
      },
    });
    const generate = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Sid?: string; Resource: unknown }[])
      .find((statement) => statement.Sid === 'GenerateAnswers');
    expect(asList(generate!.Resource)).toContain(
      'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0',
    );
    expect(asList(generate!.Resource)).toHaveLength(6);
  });
});
