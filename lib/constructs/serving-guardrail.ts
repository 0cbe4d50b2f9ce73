import { createHash } from 'node:crypto';
import { Stack } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import { Construct } from 'constructs';
import type { GuardrailPolicies } from '../config/guardrail-config.js';

export interface ServingGuardrailProps {
  /** Name of the guardrail in the account (letters, digits, - and _; at most 50 characters). */
  readonly guardrailName: string;
  readonly policies: GuardrailPolicies;
  /**
   * A system-defined guardrail profile (`us.guardrail.v1:0`) for cross-region guardrail inference.
   * @default - none: the guardrail runs in the stack's region
   */
  readonly crossRegionProfile?: string;
  /** @default - none */
  readonly description?: string;
}

/**
 * A Bedrock guardrail created from the stage's policies (`AWS::Bedrock::Guardrail`) and a published
 * version of it (`AWS::Bedrock::GuardrailVersion`). A version is an immutable snapshot, so its
 * logical id carries a digest of the policies: a changed policy publishes a new version (and the
 * function moves to it in the same deployment), an unchanged one keeps the version it has.
 */
export class ServingGuardrail extends Construct {
  readonly guardrail: bedrock.CfnGuardrail;
  readonly version: bedrock.CfnGuardrailVersion;
  /** The guardrail id (a token until deployment). */
  readonly guardrailId: string;
  /** The published version number (a token until deployment). */
  readonly guardrailVersion: string;

  constructor(scope: Construct, id: string, props: ServingGuardrailProps) {
    super(scope, id);
    if (!/^[0-9A-Za-z_-]{1,50}$/.test(props.guardrailName)) {
      throw new Error(`guardrailName must be 1-50 letters, digits, - or _, got '${props.guardrailName}'`);
    }
    const { policies } = props;
    const { partition, region, account } = Stack.of(this);

    this.guardrail = new bedrock.CfnGuardrail(this, 'Resource', {
      name: props.guardrailName,
      description: props.description,
      blockedInputMessaging: policies.blockedInputMessage,
      blockedOutputsMessaging: policies.blockedOutputMessage,
      ...(policies.contentFilters.length > 0 && {
        contentPolicyConfig: { filtersConfig: policies.contentFilters.map((filter) => ({ ...filter })) },
      }),
      ...(policies.piiEntities.length > 0 && {
        sensitiveInformationPolicyConfig: {
          piiEntitiesConfig: policies.piiEntities.map((entity) => ({ ...entity })),
        },
      }),
      ...(policies.deniedTopics.length > 0 && {
        topicPolicyConfig: {
          topicsConfig: policies.deniedTopics.map((topic) => ({
            name: topic.name,
            definition: topic.definition,
            ...(topic.examples && { examples: [...topic.examples] }),
            type: 'DENY',
          })),
        },
      }),
      ...((policies.deniedWords.length > 0 || policies.blockProfanity) && {
        wordPolicyConfig: {
          ...(policies.deniedWords.length > 0 && {
            wordsConfig: policies.deniedWords.map((text) => ({ text })),
          }),
          ...(policies.blockProfanity && { managedWordListsConfig: [{ type: 'PROFANITY' }] }),
        },
      }),
      ...(props.crossRegionProfile !== undefined && {
        crossRegionConfig: {
          guardrailProfileArn: `arn:${partition}:bedrock:${region}:${account}:guardrail-profile/${props.crossRegionProfile}`,
        },
      }),
    });

    const digest = createHash('sha256')
      .update(JSON.stringify({ policies, crossRegionProfile: props.crossRegionProfile ?? null }))
      .digest('hex')
      .slice(0, 12);
    this.version = new bedrock.CfnGuardrailVersion(this, `Version${digest}`, {
      guardrailIdentifier: this.guardrail.attrGuardrailId,
      description: `Policies ${digest}`,
    });
    this.guardrailId = this.guardrail.attrGuardrailId;
    this.guardrailVersion = this.version.attrVersion;
  }
}
