import { describe, expect, it } from 'vitest';
import {
  INFERENCE_PROFILE_REGIONS,
  guardrailArn,
  modelResourceArns,
  parseModelId,
} from '../../lib/config/bedrock-models.js';

const context = { partition: 'aws', region: 'us-east-1', account: '123456789012' };

describe('Bedrock model ARNs', () => {
  it('names only the foundation model in the caller region for a foundation-model id', () => {
    // Act
    const arns = modelResourceArns('amazon.titan-embed-text-v2:0', context);

    // Assess
    expect(arns).toEqual(['arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0']);
  });

  it('names the profile and the foundation model in every region a geographic profile routes to', () => {
    // Act
    const arns = modelResourceArns('us.anthropic.claude-haiku-4-5-20251001-v1:0', context);

    // Assess
    expect(arns).toEqual([
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0',
      ...INFERENCE_PROFILE_REGIONS.us.map(
        (region) => `arn:aws:bedrock:${region}::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0`,
      ),
    ]);
    expect(arns.some((arn) => arn.includes('*'))).toBe(false);
  });

  it('names the region-less foundation model for a global profile', () => {
    // Act
    const arns = modelResourceArns('global.anthropic.claude-sonnet-4-5-20250929-v1:0', context);

    // Assess
    expect(arns).toEqual([
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
      'arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
    ]);
  });

  it('refuses a profile of another geography than the caller region', () => {
    // Act
    const act = () => modelResourceArns('apac.amazon.nova-lite-v1:0', { ...context, region: 'eu-west-1' });

    // Assess
    expect(act).toThrow(
      /Inference profile 'apac.amazon.nova-lite-v1:0' routes within ap-northeast-1, .* cannot be called from eu-west-1/,
    );
  });

  it('tells profile prefixes from provider names', () => {
    // Act
    const parsed = ['us.amazon.nova-lite-v1:0', 'amazon.nova-lite-v1:0', 'cohere.embed-english-v3'].map(
      parseModelId,
    );

    // Assess
    expect(parsed).toEqual([
      { kind: 'inference-profile', prefix: 'us', modelId: 'amazon.nova-lite-v1:0' },
      { kind: 'foundation-model', modelId: 'amazon.nova-lite-v1:0' },
      { kind: 'foundation-model', modelId: 'cohere.embed-english-v3' },
    ]);
  });

  it('builds a guardrail ARN from an id and keeps a given ARN', () => {
    // Act
    const fromId = guardrailArn('abc123', context);
    const given = guardrailArn('arn:aws:bedrock:us-west-2:123456789012:guardrail/xyz', context);

    // Assess
    expect(fromId).toBe('arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123');
    expect(given).toBe('arn:aws:bedrock:us-west-2:123456789012:guardrail/xyz');
  });
});
