import { Token } from 'aws-cdk-lib';

/**
 * IAM resources for Bedrock model ids (DESIGN 6). A model id in the stage config is either a
 * foundation-model id (`amazon.titan-embed-text-v2:0`) or a system-defined cross-region inference
 * profile id (`us.anthropic.claude-haiku-4-5-20251001-v1:0`). Calling a profile needs IAM on the
 * profile in the caller's region *and* on the foundation model in every region the profile may
 * route the request to, so those regions are listed here.
 */

/**
 * Destination regions of the system-defined inference profiles, by id prefix. Each list is the
 * union over the models of that geography as AWS documents them ("Supported Regions and models for
 * inference profiles"): allowing a foundation model in a region a profile never routes to is
 * harmless (foundation-model ARNs carry no account), missing one fails requests at random with
 * AccessDenied. If that happens, check the profile with
 * `aws bedrock get-inference-profile --inference-profile-identifier <id>` and extend the list.
 * `global` profiles route to any commercial region; IAM names their model with an empty region.
 */
export const INFERENCE_PROFILE_REGIONS = {
  us: ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'],
  'us-gov': ['us-gov-east-1', 'us-gov-west-1'],
  eu: [
    'eu-central-1',
    'eu-central-2',
    'eu-north-1',
    'eu-south-1',
    'eu-south-2',
    'eu-west-1',
    'eu-west-2',
    'eu-west-3',
  ],
  apac: [
    'ap-northeast-1',
    'ap-northeast-2',
    'ap-northeast-3',
    'ap-south-1',
    'ap-south-2',
    'ap-southeast-1',
    'ap-southeast-2',
    'ap-southeast-4',
  ],
  jp: ['ap-northeast-1', 'ap-northeast-3'],
  au: ['ap-southeast-2', 'ap-southeast-4'],
  ca: ['ca-central-1', 'ca-west-1'],
  global: [],
} as const satisfies Record<string, readonly string[]>;

export type InferenceProfilePrefix = keyof typeof INFERENCE_PROFILE_REGIONS;

/** Where a model id points: a foundation model, or a profile over a foundation model. */
export type ParsedModelId =
  | { readonly kind: 'foundation-model'; readonly modelId: string }
  | { readonly kind: 'inference-profile'; readonly prefix: InferenceProfilePrefix; readonly modelId: string };

/** Splits `us.anthropic.x` into profile prefix `us` and foundation model `anthropic.x`. */
export function parseModelId(id: string): ParsedModelId {
  const dot = id.indexOf('.');
  const prefix = id.slice(0, dot);
  if (dot > 0 && Object.hasOwn(INFERENCE_PROFILE_REGIONS, prefix) && id.indexOf('.', dot + 1) > dot) {
    return {
      kind: 'inference-profile',
      prefix: prefix as InferenceProfilePrefix,
      modelId: id.slice(dot + 1),
    };
  }
  return { kind: 'foundation-model', modelId: id };
}

export interface ArnContext {
  readonly partition: string;
  /** The region the function calls Bedrock in (the source region of a profile). */
  readonly region: string;
  readonly account: string;
}

/**
 * The ARNs a caller in `context.region` needs `bedrock:InvokeModel*` on to use `id`.
 * @throws Error when a profile cannot be called from `context.region` (it is not in its geography).
 */
export function modelResourceArns(id: string, context: ArnContext): string[] {
  const { partition, region, account } = context;
  const foundationModel = (inRegion: string, modelId: string) =>
    `arn:${partition}:bedrock:${inRegion}::foundation-model/${modelId}`;
  const parsed = parseModelId(id);
  if (parsed.kind === 'foundation-model') return [foundationModel(region, parsed.modelId)];

  const profile = `arn:${partition}:bedrock:${region}:${account}:inference-profile/${id}`;
  if (parsed.prefix === 'global') {
    return [profile, foundationModel(region, parsed.modelId), foundationModel('', parsed.modelId)];
  }
  const regions: readonly string[] = INFERENCE_PROFILE_REGIONS[parsed.prefix];
  if (!Token.isUnresolved(region) && !regions.includes(region)) {
    throw new Error(
      `Inference profile '${id}' routes within ${regions.join(', ')} and cannot be called from ${region}; ` +
        `use the profile of this region's geography or a foundation-model id`,
    );
  }
  return [profile, ...regions.map((r) => foundationModel(r, parsed.modelId))];
}

/** The ARN of a guardrail given by id or ARN. */
export function guardrailArn(idOrArn: string, context: ArnContext): string {
  if (idOrArn.startsWith('arn:')) return idOrArn;
  return `arn:${context.partition}:bedrock:${context.region}:${context.account}:guardrail/${idOrArn}`;
}

/**
 * The guardrail-profile ARNs a guardrail with cross-region inference may run through: the profile
 * (`us.guardrail.v1:0`) in every region of its geography, the caller's included. Bedrock needs
 * `bedrock:ApplyGuardrail` on each, besides the guardrail itself.
 */
export function guardrailProfileArns(profileId: string, context: ArnContext): string[] {
  const prefix = profileId.slice(0, profileId.indexOf('.'));
  if (!Object.hasOwn(INFERENCE_PROFILE_REGIONS, prefix) || prefix === 'global') {
    throw new Error(`Guardrail profile '${profileId}' names no known geography (us, eu, apac, ...)`);
  }
  const regions: readonly string[] = INFERENCE_PROFILE_REGIONS[prefix as InferenceProfilePrefix];
  if (!Token.isUnresolved(context.region) && !regions.includes(context.region)) {
    throw new Error(
      `Guardrail profile '${profileId}' routes within ${regions.join(', ')} and cannot be used from ${context.region}`,
    );
  }
  return regions.map(
    (region) =>
      `arn:${context.partition}:bedrock:${region}:${context.account}:guardrail-profile/${profileId}`,
  );
}
