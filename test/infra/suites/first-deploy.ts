import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_GUARDRAIL_POLICIES } from '../../../lib/config/guardrail-config.js';
import { EnvVar } from '../../../src/shared/env.js';
import {
  asList,
  flatten,
  logicalIdAt,
  roleStatements,
  stageTemplates,
  synthStage,
} from '../support/stage-app.js';

const settingsDir = mkdtempSync(join(tmpdir(), 'rag-stage-settings-'));
afterAll(() => rmSync(settingsDir, { recursive: true, force: true }));

function settingsFile(name: string, content: unknown): string {
  const path = join(settingsDir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const invocationsEnvironment = (serving: Template): Record<string, unknown> => {
  const id = logicalIdAt(serving, 'AWS::Lambda::Function', 'Invocations/Bundled/Function/Resource');
  return serving.toJSON().Resources[id].Properties.Environment.Variables as Record<string, unknown>;
};

describe('First deploy: the account-wide API Gateway logging role', () => {
  it.each(['dev', 'qa', 'prod'] as const)(
    'sets the CloudWatch role of the %s account, keeps it when deleted, and deploys the API after it',
    (stage) => {
      // Prepare
      const { built } = stageTemplates(stage);

      // Act
      const account = Template.fromStack(built.account!);

      // Assess
      expect(built.account!.stackName).toBe('rag-serving-account');
      const roleId = logicalIdAt(account, 'AWS::IAM::Role', 'ApiGatewayCloudWatchRole/Resource');
      account.hasResource('AWS::ApiGateway::Account', {
        Properties: { CloudWatchRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] } },
        DeletionPolicy: 'Retain',
      });
      account.hasResource('AWS::IAM::Role', {
        Properties: {
          AssumeRolePolicyDocument: {
            Statement: [
              {
                Action: 'sts:AssumeRole',
                Principal: { Service: 'apigateway.amazonaws.com' },
                Effect: 'Allow',
              },
            ],
          },
        },
        DeletionPolicy: 'Retain',
      });
      expect(built.serving.dependencies).toContain(built.account);
      // The same template whichever stage deploys it: no stage tag on the shared stack.
      expect(JSON.stringify(account.toJSON())).not.toContain('"stage"');
    },
  );

  it("leaves the account setting alone when the stage says the role exists ('existing')", () => {
    // Act
    const built = synthStage('dev', {
      context: { stageSettings: { api: { accountCloudWatchRole: 'existing' } } },
    });

    // Assess
    expect(built.account).toBeUndefined();
    expect(built.app.node.tryFindChild('rag-serving-account')).toBeUndefined();
  });
});

describe('First deploy: the guardrail', () => {
  it('creates the guardrail from the stage policies and a version of it, which the function applies', () => {
    // Prepare
    const { serving } = stageTemplates('dev');

    // Act
    const guardrails = serving.findResources('AWS::Bedrock::Guardrail');
    const versions = serving.findResources('AWS::Bedrock::GuardrailVersion');

    // Assess
    const guardrailId = logicalIdAt(serving, 'AWS::Bedrock::Guardrail', 'Guardrail/Resource');
    const properties = guardrails[guardrailId]!.Properties;
    expect(properties).toMatchObject({
      Name: 'rag-serving-dev',
      BlockedInputMessaging: DEFAULT_GUARDRAIL_POLICIES.blockedInputMessage,
      BlockedOutputsMessaging: DEFAULT_GUARDRAIL_POLICIES.blockedOutputMessage,
      ContentPolicyConfig: {
        FiltersConfig: DEFAULT_GUARDRAIL_POLICIES.contentFilters.map((f) => ({
          Type: f.type,
          InputStrength: f.inputStrength,
          OutputStrength: f.outputStrength,
        })),
      },
      SensitiveInformationPolicyConfig: {
        PiiEntitiesConfig: DEFAULT_GUARDRAIL_POLICIES.piiEntities.map((e) => ({
          Type: e.type,
          Action: e.action,
        })),
      },
      WordPolicyConfig: { ManagedWordListsConfig: [{ Type: 'PROFANITY' }] },
    });
    expect(Object.values(versions)).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          GuardrailIdentifier: { 'Fn::GetAtt': [guardrailId, 'GuardrailId'] },
        }),
      }),
    ]);
    expect(invocationsEnvironment(serving)[EnvVar.guardrailVersion]).toEqual({
      'Fn::GetAtt': [Object.keys(versions)[0], 'Version'],
    });
  });

  it('publishes a new guardrail version when a policy changes, and keeps it when nothing changed', () => {
    // Prepare
    const versionIdOf = (serving: Template) =>
      Object.keys(serving.findResources('AWS::Bedrock::GuardrailVersion'))[0];
    const unchanged = versionIdOf(stageTemplates('dev').serving);

    // Act
    const again = versionIdOf(Template.fromStack(synthStage('dev').serving));
    const changed = versionIdOf(
      Template.fromStack(
        synthStage('dev', {
          context: {
            stageSettings: {
              guardrail: {
                create: {
                  deniedTopics: [
                    { name: 'Investment advice', definition: 'Recommendations on what to invest in.' },
                  ],
                  deniedWords: ['confidential'],
                },
              },
            },
          },
        }).serving,
      ),
    );

    // Assess
    expect(again).toBe(unchanged);
    expect(changed).not.toBe(unchanged);
  });

  it('takes an existing guardrail from the settings instead of creating one', () => {
    // Prepare
    const file = settingsFile('existing.json', {
      qa: { guardrail: { create: null, existing: { id: 'a1b2c3d4e5f6', version: '3' } } },
    });

    // Act
    const { serving } = synthStage('qa', { context: { stageSettingsFile: file } });
    const template = Template.fromStack(serving);

    // Assess
    template.resourceCountIs('AWS::Bedrock::Guardrail', 0);
    expect(invocationsEnvironment(template)).toMatchObject({
      [EnvVar.guardrailId]: 'a1b2c3d4e5f6',
      [EnvVar.guardrailVersion]: '3',
    });
    const apply = roleStatements(template, 'Invocations/Bundled/Role').find(
      (s) => s.Sid === 'ApplyGuardrail',
    );
    expect(asList(apply!.Resource).map(flatten)).toEqual([
      'arn:aws:bedrock:us-east-1:<Ref:AWS::AccountId>:guardrail/a1b2c3d4e5f6',
    ]);
  });

  it('lets the function apply a cross-region guardrail through its profile in every region of the geography', () => {
    // Act
    const { serving } = synthStage('qa', {
      context: { stageSettings: { guardrail: { crossRegionProfile: 'us.guardrail.v1:0' } } },
    });
    const template = Template.fromStack(serving);

    // Assess
    const apply = roleStatements(template, 'Invocations/Bundled/Role').find(
      (s) => s.Sid === 'ApplyGuardrail',
    );
    const resources = asList(apply!.Resource).map(flatten);
    const guardrailId = logicalIdAt(template, 'AWS::Bedrock::Guardrail', 'Guardrail/Resource');
    expect(resources.sort()).toEqual(
      [
        `arn:aws:bedrock:us-east-1:<Ref:AWS::AccountId>:guardrail/<GetAtt:${guardrailId}.GuardrailId>`,
        ...['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'].map(
          (region) => `arn:aws:bedrock:${region}:<Ref:AWS::AccountId>:guardrail-profile/us.guardrail.v1:0`,
        ),
      ].sort(),
    );
    const [guardrail] = Object.values(template.findResources('AWS::Bedrock::Guardrail'));
    expect(flatten(guardrail!.Properties.CrossRegionConfig.GuardrailProfileArn)).toBe(
      'arn:aws:bedrock:us-east-1:<Ref:AWS::AccountId>:guardrail-profile/us.guardrail.v1:0',
    );
  });

  it('fails synth on a placeholder guardrail id, naming the setting, its origin and how to fix it', () => {
    // Prepare
    const file = settingsFile('placeholder.json', {
      prod: { guardrail: { create: null, existing: { id: 'placeholder', version: '1' } } },
    });

    // Act
    const act = () => synthStage('prod', { context: { stageSettingsFile: file } });

    // Assess
    expect(act).toThrow(
      `Invalid configuration for stage 'prod': guardrail.existing.id is a placeholder, not a guardrail: put the id of ` +
        'your guardrail here (aws bedrock list-guardrails), or drop guardrail.existing and let the stack create one ' +
        `from guardrail.create (README 'First deploy') (got "placeholder") [from ${file} (prod)]`,
    );
  });

  it('fails synth when the settings leave the stage with no guardrail, or with both kinds', () => {
    // Act
    const neither = () => synthStage('dev', { context: { stageSettings: { guardrail: { create: null } } } });
    const both = () =>
      synthStage('dev', {
        context: { stageSettings: { guardrail: { existing: { id: 'abc123', version: 'DRAFT' } } } },
      });

    // Assess
    expect(neither).toThrow(
      /guardrail sets neither create nor existing: set guardrail\.create .* or guardrail\.existing .* \[from context stageSettings\]/,
    );
    expect(both).toThrow(
      /guardrail sets both create and existing: keep one\. .*set "create": null beside "existing"/,
    );
  });
});

describe('First deploy: settings without editing code', () => {
  it('merges the settings file and then context over the built-in defaults of the stage', () => {
    // Prepare
    const file = settingsFile('stages.json', {
      prod: {
        alarms: { emailSubscribers: ['oncall@example.com'] },
        models: { generationModelId: 'us.amazon.nova-pro-v1:0' },
        pinecone: { indexName: 'docs-prod', host: 'docs-prod-abc123.svc.aped-4627-b74a.pinecone.io' },
        invocations: { provisionedConcurrency: { min: 4, max: 40 } },
        quotas: { requestsPerMinute: 600 },
        logRetentionDays: 365,
      },
      dev: { alarms: { emailSubscribers: ['dev@example.com'] } },
    });

    // Act
    const { config, serving } = synthStage('prod', {
      context: {
        stageSettingsFile: file,
        // On the command line context values are strings: -c stageSettings='{"quotas": ...}'
        stageSettings: JSON.stringify({ quotas: { tokensPerMinute: 1_000_000 } }),
      },
    });

    // Assess
    expect(config.alarms.emailSubscribers).toEqual(['oncall@example.com']);
    expect(config.alarms.p99LatencyMs).toBe(10_000);
    expect(config.models).toEqual({
      embeddingModelId: 'amazon.titan-embed-text-v2:0',
      generationModelId: 'us.amazon.nova-pro-v1:0',
    });
    expect(config.invocations.provisionedConcurrency).toEqual({ min: 4, max: 40, targetUtilization: 0.7 });
    expect(config.quotas).toEqual({ requestsPerMinute: 600, tokensPerMinute: 1_000_000 });
    expect(config.logRetentionDays).toBe(365);
    const template = Template.fromStack(serving);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: 'oncall@example.com',
      Protocol: 'email',
    });
    expect(invocationsEnvironment(template)).toMatchObject({
      [EnvVar.pineconeIndex]: 'docs-prod',
      [EnvVar.pineconeHost]: 'docs-prod-abc123.svc.aped-4627-b74a.pinecone.io',
      [EnvVar.generationModelId]: 'us.amazon.nova-pro-v1:0',
      [EnvVar.quotaTpm]: '1000000',
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 4,
      MaxCapacity: 40,
    });
  });

  it('names the key, the bad value and where it came from', () => {
    // Prepare
    const file = settingsFile('bad.json', {
      qa: { alarms: { emailSubscribers: ['not-an-address'] }, pinecone: { indexNmae: 'x' } },
    });

    // Act
    const act = () =>
      synthStage('qa', {
        context: { stageSettingsFile: file, stageSettings: { invocations: { memorySizeMb: 20_000 } } },
      });

    // Assess
    expect(act).toThrow(
      `Invalid configuration for stage 'qa': invocations.memorySizeMb must be at most 10240 MB (got 20000) ` +
        `[from context stageSettings]; alarms.emailSubscribers.0 must be an e-mail address (got "not-an-address") ` +
        `[from ${file} (qa)]; pinecone: unknown key 'indexNmae' [from ${file} (qa)]`,
    );
  });

  it('refuses a settings file that is not JSON, names an unknown stage, or changes the stage', () => {
    // Prepare
    const broken = settingsFile('broken.json', '{"dev": {');
    const unknownStage = settingsFile('unknown.json', { staging: {} });
    const renamed = settingsFile('renamed.json', { dev: { stage: 'prod' } });

    // Act & Assess
    expect(() => synthStage('dev', { context: { stageSettingsFile: broken } })).toThrow(
      new RegExp(`^${broken} is not valid JSON: `),
    );
    expect(() => synthStage('dev', { context: { stageSettingsFile: unknownStage } })).toThrow(
      `${unknownStage}: unknown stage 'staging': use one of dev, qa, prod`,
    );
    expect(() => synthStage('dev', { context: { stageSettingsFile: renamed } })).toThrow(
      `Invalid configuration for stage 'dev': stage must be 'dev' (got 'prod', from ${renamed} (dev))`,
    );
    expect(() => synthStage('dev', { context: { stageSettings: '{alarms: 1}' } })).toThrow(
      /context stageSettings is not valid JSON .*pass it as -c stageSettings='\{"alarms"/,
    );
  });
});
