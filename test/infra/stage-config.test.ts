import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_STRATEGIES, getStageConfig, parseStageConfig } from '../../lib/config/stages.js';
import { withChange } from './support/stage-app.js';

describe('Stage configuration', () => {
  it.each(['dev', 'qa', 'prod'] as const)('accepts the %s stage as defined', (stage) => {
    // Act
    const config = getStageConfig(stage);

    // Assess
    expect(config.stage).toBe(stage);
    expect(config.models.embeddingModelId).toBe('amazon.titan-embed-text-v2:0');
    expect(config.alarms.emailSubscribers).toEqual([]);
  });

  it('gives provisioned concurrency and a canary to prod only', () => {
    // Act
    const configs = (['dev', 'qa', 'prod'] as const).map((stage) => getStageConfig(stage));

    // Assess
    expect(configs.map((c) => c.invocations.provisionedConcurrency)).toEqual([
      undefined,
      undefined,
      { min: expect.any(Number), max: expect.any(Number), targetUtilization: expect.any(Number) },
    ]);
    expect(configs.map((c) => c.invocations.deployment)).toEqual([
      undefined,
      undefined,
      expect.stringMatching(/^CANARY_/),
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

  it('takes a guardrail stream mode of sync or async only', () => {
    // Prepare
    const asynchronous = withChange('qa', ['guardrail', 'streamMode'], 'async');
    const unknown = withChange('qa', ['guardrail', 'streamMode'], 'eventually');

    // Act
    const accepted = parseStageConfig(asynchronous);
    const act = () => parseStageConfig(unknown);

    // Assess
    expect(accepted.guardrail.streamMode).toBe('async');
    expect(act).toThrow(/guardrail\.streamMode/);
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

  it('requires the request and stream budgets to end before the Lambda timeout', () => {
    // Prepare
    const buffered = withChange('dev', ['invocations', 'requestTimeoutMs'], 150_000);
    const streamed = withChange('dev', ['invocations', 'streaming', 'totalMs'], 200_000);
    const inverted = withChange('dev', ['invocations', 'streaming'], {
      firstByteMs: 30_000,
      totalMs: 20_000,
    });

    // Act & Assess
    expect(() => parseStageConfig(buffered)).toThrow(
      /invocations\.requestTimeoutMs must be below the Lambda timeout \(150000 ms\)/,
    );
    expect(() => parseStageConfig(streamed)).toThrow(
      /invocations\.streaming\.totalMs must be below the Lambda timeout \(150000 ms\)/,
    );
    expect(() => parseStageConfig(inverted)).toThrow(
      'invocations.streaming.totalMs must be at least streaming.firstByteMs (got {"firstByteMs":30000,"totalMs":20000})',
    );
  });

  it('lists the deployment strategies and refuses one without the alias it deploys to', () => {
    // Prepare
    const unknown = withChange('prod', ['invocations', 'deployment'], 'CANARY_50PERCENT');
    const withoutAlias = withChange('qa', ['invocations', 'deployment'], 'CANARY_10PERCENT_5MINUTES');

    // Act & Assess
    expect(() => parseStageConfig(unknown)).toThrow(
      `invocations.deployment must be one of ${DEPLOYMENT_STRATEGIES.join(', ')} (got "CANARY_50PERCENT")`,
    );
    expect(() => parseStageConfig(withoutAlias)).toThrow(
      'invocations.deployment needs invocations.provisionedConcurrency, which creates the live alias it deploys to',
    );
  });

  it('checks the scaling bounds and the alarm evaluation window', () => {
    // Prepare
    const inverted = withChange('prod', ['invocations', 'provisionedConcurrency'], {
      min: 5,
      max: 2,
      targetUtilization: 0.7,
    });
    const utilization = withChange('prod', ['invocations', 'provisionedConcurrency', 'targetUtilization'], 1);
    const datapoints = withChange('prod', ['alarms', 'datapointsToAlarm'], 6);

    // Act & Assess
    expect(() => parseStageConfig(inverted)).toThrow(
      'invocations.provisionedConcurrency.max must be at least min',
    );
    expect(() => parseStageConfig(utilization)).toThrow(
      'invocations.provisionedConcurrency.targetUtilization must be at most 0.9 (got 1)',
    );
    expect(() => parseStageConfig(datapoints)).toThrow(
      'alarms.datapointsToAlarm must be at most alarms.evaluationPeriods (5)',
    );
  });

  it('refuses an inference profile that cannot be called from the stage region', () => {
    // Prepare
    const config = withChange(
      'qa',
      ['models', 'generationModelId'],
      'eu.anthropic.claude-haiku-4-5-20251001-v1:0',
    );

    // Act
    const act = () => parseStageConfig(config);

    // Assess
    expect(act).toThrow(
      "models.generationModelId is a 'eu' inference profile, which cannot be called from us-east-1 (only from eu-central-1,",
    );
  });

  it('checks the authorizer cache bound and the custom domain', () => {
    // Prepare
    const cache = withChange('dev', ['authorizer', 'cacheTtlSeconds'], 7200);
    const domain = withChange('prod', ['api', 'customDomain'], {
      domainName: 'Rag.Example.com',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/not-a-uuid',
    });

    // Act & Assess
    expect(() => parseStageConfig(cache)).toThrow(
      'authorizer.cacheTtlSeconds must be at most 3600 s (got 7200)',
    );
    expect(() => parseStageConfig(domain)).toThrow(
      /api\.customDomain\.domainName must be a lowercase DNS name .*; api\.customDomain\.certificateArn must be an ACM certificate ARN/,
    );
  });

  it('checks the quotas and the optional Pinecone host', () => {
    // Prepare
    const quota = withChange('qa', ['quotas', 'requestsPerMinute'], -1);
    const host = withChange('qa', ['pinecone', 'host'], 'https://docs-abc.svc.pinecone.io');

    // Act & Assess
    expect(() => parseStageConfig(quota)).toThrow('quotas.requestsPerMinute must be at least 0 (got -1)');
    expect(() => parseStageConfig(host)).toThrow(
      /pinecone\.host must be a Pinecone index host .*\(no scheme\)/,
    );
  });

  it('refuses a guardrail profile of another geography than the stage region', () => {
    // Prepare
    const config = withChange('qa', ['guardrail', 'crossRegionProfile'], 'eu.guardrail.v1:0');

    // Act
    const act = () => parseStageConfig(config);

    // Assess
    expect(act).toThrow(
      "guardrail.crossRegionProfile is a 'eu' guardrail profile, which cannot be used from us-east-1 (only from eu-central-1,",
    );
  });
});
