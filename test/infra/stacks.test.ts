import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../bin/app.js';
import type { RagServingApp } from '../../bin/app.js';
import { STAGES, getStageConfig, parseStageConfig } from '../../lib/config/stages.js';
import { InvocationsFunction } from '../../lib/constructs/invocations-function.js';
import { SessionTable } from '../../lib/constructs/session-table.js';
import type { StageConfig, StageName } from '../../lib/config/stages.js';
import { EnvVar } from '../../src/shared/env.js';
import { SESSION_TABLE_KEYS, SESSION_TTL_ATTRIBUTE } from '../../src/shared/sessions.js';

/** The context of cdk.json (feature flags included), so templates here match `cdk synth`. */
const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

const outdirs: string[] = [];

/** A CDK app for one stage, as `cdk synth -c stage=<stage>` builds it, with bundling skipped. */
function synthStage(stage: StageName): RagServingApp & { app: App } {
  const outdir = mkdtempSync(join(tmpdir(), 'rag-infra-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT, stage, 'aws:cdk:bundling-stacks': [] } });
  return { app, ...buildApp(app) };
}

/** A deep copy of a stage's configuration with the value at `path` replaced, for validation tests. */
function withChange(stage: StageName, path: readonly string[], value: unknown): unknown {
  const config = structuredClone(STAGES[stage]) as unknown as Record<string, unknown>;
  const parent = path.slice(0, -1).reduce((node, key) => node[key] as Record<string, unknown>, config);
  parent[path.at(-1) as string] = value;
  return config;
}

/**
 * Resolves a cross-stack value in the serving template to the stateful template's output and
 * returns that output's value (`{ Ref: ... }` or `{ 'Fn::GetAtt': ... }`), whether the reference
 * is weak (`Fn::GetStackOutput`) or strong (`Fn::ImportValue`).
 */
function producerValue(stateful: Template, consumerValue: unknown): unknown {
  const outputs = stateful.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>;
  const value = consumerValue as {
    'Fn::GetStackOutput'?: { OutputName: string };
    'Fn::ImportValue'?: string;
  };
  if (value['Fn::GetStackOutput']) {
    return outputs[value['Fn::GetStackOutput'].OutputName]?.Value;
  }
  if (value['Fn::ImportValue']) {
    return Object.values(outputs).find((o) => o.Export?.Name === value['Fn::ImportValue'])?.Value;
  }
  return undefined;
}

function tableLogicalId(stateful: Template): string {
  const ids = Object.keys(stateful.findResources('AWS::DynamoDB::Table'));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

interface PolicyStatement {
  Action: string | string[];
  Resource: unknown;
}

function invocationsPolicyStatements(serving: Template): PolicyStatement[] {
  return Object.values(serving.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as PolicyStatement[],
  );
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

beforeEach(() => {
  vi.stubEnv('CDK_DEFAULT_REGION', 'us-east-1');
  vi.stubEnv('CDK_DEFAULT_ACCOUNT', undefined);
});

afterEach(() => {
  vi.unstubAllEnvs();
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('Stage configuration', () => {
  it.each(['dev', 'qa', 'prod'] as const)('accepts the %s stage as defined', (stage) => {
    // Act
    const config = getStageConfig(stage);

    // Assess
    expect(config.stage).toBe(stage);
    expect(config.models.embeddingModelId).toBe('amazon.titan-embed-text-v2:0');
    expect(config.alarms.emailSubscribers).toEqual([]);
  });

  it('gives provisioned concurrency to prod only', () => {
    // Act
    const configs = (['dev', 'qa', 'prod'] as const).map((stage) => getStageConfig(stage));

    // Assess
    expect(configs.map((c) => c.invocations.provisionedConcurrency)).toEqual([
      undefined,
      undefined,
      { min: expect.any(Number), max: expect.any(Number) },
    ]);
  });

  it('rejects an unknown stage and lists the allowed ones', () => {
    // Act
    const act = () => getStageConfig('foo');

    // Assess
    expect(act).toThrow("Unknown stage 'foo': use one of dev, qa, prod");
  });

  it('names the key and the allowed range of a bad value', () => {
    // Prepare
    const config = withChange('prod', ['invocations', 'memorySizeMb'], 64);

    // Act
    const act = () => parseStageConfig(config);

    // Assess
    expect(act).toThrow(
      "Invalid configuration for stage 'prod': invocations.memorySizeMb must be at least 128 MB (got 64)",
    );
  });

  it('names an unknown key', () => {
    // Prepare
    const config = withChange('qa', ['api', 'throttlingRate'], 5);

    // Act
    const act = () => parseStageConfig(config);

    // Assess
    expect(act).toThrow(/api: unknown key 'throttlingRate'/);
  });

  it('lists the log retention values CloudWatch accepts', () => {
    // Prepare
    const config = withChange('dev', ['logRetentionDays'], 10);

    // Act
    const act = () => parseStageConfig(config);

    // Assess
    expect(act).toThrow(
      /logRetentionDays must be one of the CloudWatch retention values: 1, 3, 5, 7, 14, .* \(got 10\)/,
    );
  });

  it('allows DESTROY on dev only and requires PITR on prod', () => {
    // Prepare
    const qa = withChange('qa', ['tables', 'removalPolicy'], 'destroy');
    const prod = withChange('prod', ['tables', 'pointInTimeRecovery'], false);

    // Act & Assess
    expect(() => parseStageConfig(qa)).toThrow("tables.removalPolicy 'destroy' is allowed on stage dev only");
    expect(() => parseStageConfig(prod)).toThrow('tables.pointInTimeRecovery must be true on prod');
  });

  it('requires the request budget to end before the Lambda timeout', () => {
    // Prepare
    const config = withChange('dev', ['invocations', 'requestTimeoutMs'], 30_000);

    // Act
    const act = () => parseStageConfig(config);

    // Assess
    expect(act).toThrow(/invocations\.requestTimeoutMs must be below the Lambda timeout \(30000 ms\)/);
  });
});

describe('App', () => {
  it.each(['dev', 'qa', 'prod'] as const)(
    'synthesizes %s with cdk-nag AwsSolutions checks and only the expected acknowledgements',
    (stage) => {
      // Prepare
      const { app, config } = synthStage(stage);

      // Act
      const assembly = app.synth();

      // Assess
      const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
        pluginReports: {
          pluginName: string;
          violations: unknown[];
          suppressedViolations?: { ruleName: string }[];
        }[];
      };
      const nag = report.pluginReports.find((r) => r.pluginName === 'AwsSolutions');
      expect(nag?.violations).toEqual([]);
      const acknowledged = (nag?.suppressedViolations ?? []).map((v) => v.ruleName).sort();
      const expected = config.tables.pointInTimeRecovery
        ? ['AwsSolutions-IAM5[Resource::*]']
        : ['AwsSolutions-DDB3', 'AwsSolutions-IAM5[Resource::*]'];
      expect(acknowledged).toEqual(expected);
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
    // Same account: the grant lives in the function's role, not in a table resource policy.
    Template.fromStack(stateful).hasResourceProperties('AWS::DynamoDB::Table', {
      ResourcePolicy: Match.absent(),
    });
  });

  it('takes the region from the CLI when the stage config has none, and fails without one', () => {
    // Prepare
    vi.stubEnv('CDK_DEFAULT_REGION', 'eu-west-1');

    // Act
    const { serving } = synthStage('dev');

    // Assess
    expect(serving.region).toBe('eu-west-1');
    vi.stubEnv('CDK_DEFAULT_REGION', '');
    expect(() => synthStage('dev')).toThrow(/No region for stage 'dev'/);
  });

  it('rejects an unknown stage given as context', () => {
    // Prepare
    const app = new App({ context: { stage: 'staging', 'aws:cdk:bundling-stacks': [] } });

    // Act
    const act = () => buildApp(app);

    // Assess
    expect(act).toThrow("Unknown stage 'staging': use one of dev, qa, prod");
  });
});

describe('Stateful stack: session table', () => {
  it('uses the shared key names and TTL attribute, on demand, AWS-managed encryption', () => {
    // Prepare
    const { stateful } = synthStage('dev');

    // Act
    const template = Template.fromStack(stateful);

    // Assess
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: SESSION_TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: SESSION_TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: SESSION_TABLE_KEYS.partitionKey, AttributeType: 'S' },
        { AttributeName: SESSION_TABLE_KEYS.sortKey, AttributeType: 'S' },
      ]),
      TimeToLiveSpecification: { AttributeName: SESSION_TTL_ATTRIBUTE, Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
    });
  });

  it('keeps the prod table with point-in-time recovery and deletion protection', () => {
    // Prepare
    const { stateful } = synthStage('prod');

    // Act
    const template = Template.fromStack(stateful);

    // Assess
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
    expect(stateful.terminationProtection).toBe(true);
  });

  it('lets the dev table go with its stack, without point-in-time recovery', () => {
    // Prepare
    const { stateful } = synthStage('dev');

    // Act
    const template = Template.fromStack(stateful);

    // Assess
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
      }),
    });
  });
});

describe('Serving stack: invocations function', () => {
  function servingTemplates(stage: StageName): {
    stateful: Template;
    serving: Template;
    config: StageConfig;
  } {
    const built = synthStage(stage);
    return {
      stateful: Template.fromStack(built.stateful),
      serving: Template.fromStack(built.serving),
      config: built.config,
    };
  }

  it('runs on Node 24, arm64, traced, sized from the stage config', () => {
    // Prepare
    const { serving, config } = servingTemplates('prod');

    // Act
    const functions = serving.findResources('AWS::Lambda::Function');

    // Assess
    expect(Object.keys(functions)).toHaveLength(1);
    serving.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      MemorySize: config.invocations.memorySizeMb,
      Timeout: config.invocations.timeoutSeconds,
    });
  });

  it('passes the session table name by reference and the settings under the shared env names', () => {
    // Prepare
    const { stateful, serving, config } = servingTemplates('dev');

    // Act
    const fn = Object.values(serving.findResources('AWS::Lambda::Function'))[0];
    const variables = fn?.Properties.Environment.Variables as Record<string, unknown>;

    // Assess
    expect(producerValue(stateful, variables[EnvVar.sessionTable])).toEqual({
      Ref: tableLogicalId(stateful),
    });
    expect(variables).toMatchObject({
      [EnvVar.endpointName]: config.endpointName,
      [EnvVar.sessionTtlDays]: String(config.sessions.ttlDays),
      [EnvVar.requestTimeoutMs]: String(config.invocations.requestTimeoutMs),
    });
  });

  it('grants DynamoDB access to the session table only, and no managed policies', () => {
    // Prepare
    const { stateful, serving } = servingTemplates('prod');
    const tableArn = { 'Fn::GetAtt': [tableLogicalId(stateful), 'Arn'] };

    // Act
    const statements = invocationsPolicyStatements(serving);
    const dynamo = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('dynamodb:')));
    const wildcard = statements.filter((s) => asList(s.Resource).includes('*'));

    // Assess
    expect(dynamo.length).toBeGreaterThan(0);
    for (const statement of dynamo) {
      expect(asList(statement.Resource).map((r) => producerValue(stateful, r))).toEqual([tableArn]);
    }
    expect(asList(dynamo[0]!.Action)).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:PutItem']));
    for (const statement of wildcard) {
      expect(asList(statement.Action).every((a) => a.startsWith('xray:'))).toBe(true);
    }
    serving.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('logs to its own log group with the stage retention', () => {
    // Prepare
    const { serving, config } = servingTemplates('qa');

    // Act
    const logGroupIds = Object.keys(serving.findResources('AWS::Logs::LogGroup'));

    // Assess
    expect(logGroupIds).toHaveLength(1);
    serving.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: config.logRetentionDays });
    serving.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: logGroupIds[0] } },
    });
  });
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
    const act = () =>
      new InvocationsFunction(stack, 'Invocations', {
        sessionTable: table,
        timeout: Duration.seconds(10),
        requestTimeout: Duration.seconds(10),
      });

    // Assess
    expect(act).toThrow('requestTimeout (10000 ms) must be shorter than timeout (10000 ms)');
  });
});
