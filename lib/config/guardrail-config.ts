/**
 * The Bedrock guardrail of a stage (DESIGN 6): created by the serving stack from policies in the
 * stage config (`create`), or an existing guardrail named by id and version (`existing`). Exactly
 * one of the two; a placeholder id never reaches a template.
 */
import * as z from 'zod';

export const CONTENT_FILTER_TYPES = [
  'SEXUAL',
  'VIOLENCE',
  'HATE',
  'INSULTS',
  'MISCONDUCT',
  'PROMPT_ATTACK',
] as const;
export const FILTER_STRENGTHS = ['NONE', 'LOW', 'MEDIUM', 'HIGH'] as const;

/** The PII entity types Bedrock guardrails detect. */
export const PII_ENTITY_TYPES = [
  'ADDRESS',
  'AGE',
  'AWS_ACCESS_KEY',
  'AWS_SECRET_KEY',
  'CA_HEALTH_NUMBER',
  'CA_SOCIAL_INSURANCE_NUMBER',
  'CREDIT_DEBIT_CARD_CVV',
  'CREDIT_DEBIT_CARD_EXPIRY',
  'CREDIT_DEBIT_CARD_NUMBER',
  'DRIVER_ID',
  'EMAIL',
  'INTERNATIONAL_BANK_ACCOUNT_NUMBER',
  'IP_ADDRESS',
  'LICENSE_PLATE',
  'MAC_ADDRESS',
  'NAME',
  'PASSWORD',
  'PHONE',
  'PIN',
  'SWIFT_CODE',
  'UK_NATIONAL_HEALTH_SERVICE_NUMBER',
  'UK_NATIONAL_INSURANCE_NUMBER',
  'UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER',
  'URL',
  'USERNAME',
  'US_BANK_ACCOUNT_NUMBER',
  'US_BANK_ROUTING_NUMBER',
  'US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER',
  'US_PASSPORT_NUMBER',
  'US_SOCIAL_SECURITY_NUMBER',
  'VEHICLE_IDENTIFICATION_NUMBER',
] as const;

export type ContentFilterType = (typeof CONTENT_FILTER_TYPES)[number];
export type FilterStrength = (typeof FILTER_STRENGTHS)[number];
export type PiiEntityType = (typeof PII_ENTITY_TYPES)[number];

export interface ContentFilter {
  readonly type: ContentFilterType;
  /** How strictly questions are filtered. */
  readonly inputStrength: FilterStrength;
  /** How strictly answers are filtered (`NONE` for `PROMPT_ATTACK`, which only judges input). */
  readonly outputStrength: FilterStrength;
}

export interface PiiEntity {
  readonly type: PiiEntityType;
  /** `BLOCK` answers with the blocked message; `ANONYMIZE` masks the entity (`{EMAIL}`). */
  readonly action: 'BLOCK' | 'ANONYMIZE';
}

export interface DeniedTopic {
  /** Short name, shown in assessments (letters, digits, spaces, `_-!?.`; at most 100 characters). */
  readonly name: string;
  /** What the topic covers, in plain words (at most 200 characters). */
  readonly definition: string;
  /** Up to 5 example questions on the topic. @default none */
  readonly examples?: readonly string[];
}

/** The policies of a guardrail the serving stack creates (`AWS::Bedrock::Guardrail`). */
export interface GuardrailPolicies {
  readonly contentFilters: readonly ContentFilter[];
  readonly piiEntities: readonly PiiEntity[];
  readonly deniedTopics: readonly DeniedTopic[];
  /** Words and phrases blocked wherever they appear. */
  readonly deniedWords: readonly string[];
  /** Block AWS's managed profanity list too. */
  readonly blockProfanity: boolean;
  /** What a blocked question is answered with. */
  readonly blockedInputMessage: string;
  /** What replaces a blocked answer. */
  readonly blockedOutputMessage: string;
}

export interface ExistingGuardrail {
  /** Guardrail id (lowercase letters and digits) or ARN, as `aws bedrock list-guardrails` shows it. */
  readonly id: string;
  /** `DRAFT` or a published version number. */
  readonly version: string;
}

export interface GuardrailConfig {
  /** Create the guardrail in the serving stack from these policies (a new version on each change). */
  readonly create?: GuardrailPolicies;
  /** Use a guardrail that already exists instead. */
  readonly existing?: ExistingGuardrail;
  /**
   * A system-defined guardrail profile (e.g. `us.guardrail.v1:0`) for cross-region guardrail
   * inference: the created guardrail uses it, and the function may apply the guardrail through the
   * profile in every region of its geography. @default none (the guardrail runs in the stage's region)
   */
  readonly crossRegionProfile?: string;
  /**
   * How streamed answers meet the output guardrail: `sync` sends only text it has passed (first
   * text after the first sentence and one guardrail call), `async` sends text as generated while it
   * checks beside, and ends the stream when it intervenes (the caller may read text it would have
   * stopped). @default 'sync'
   */
  readonly streamMode?: 'sync' | 'async';
}

/**
 * A guardrail for a documentation assistant: harmful content and prompt attacks blocked, contact
 * details masked, credentials and government or card numbers blocked. Topics and words are the
 * application's own and start empty.
 */
export const DEFAULT_GUARDRAIL_POLICIES: GuardrailPolicies = {
  contentFilters: [
    { type: 'SEXUAL', inputStrength: 'HIGH', outputStrength: 'HIGH' },
    { type: 'VIOLENCE', inputStrength: 'HIGH', outputStrength: 'HIGH' },
    { type: 'HATE', inputStrength: 'HIGH', outputStrength: 'HIGH' },
    { type: 'INSULTS', inputStrength: 'MEDIUM', outputStrength: 'HIGH' },
    { type: 'MISCONDUCT', inputStrength: 'HIGH', outputStrength: 'HIGH' },
    { type: 'PROMPT_ATTACK', inputStrength: 'HIGH', outputStrength: 'NONE' },
  ],
  piiEntities: [
    { type: 'EMAIL', action: 'ANONYMIZE' },
    { type: 'PHONE', action: 'ANONYMIZE' },
    { type: 'US_SOCIAL_SECURITY_NUMBER', action: 'BLOCK' },
    { type: 'CREDIT_DEBIT_CARD_NUMBER', action: 'BLOCK' },
    { type: 'AWS_ACCESS_KEY', action: 'BLOCK' },
    { type: 'AWS_SECRET_KEY', action: 'BLOCK' },
    { type: 'PASSWORD', action: 'BLOCK' },
  ],
  deniedTopics: [],
  deniedWords: [],
  blockProfanity: true,
  blockedInputMessage: 'Sorry, I cannot answer that question.',
  blockedOutputMessage: 'Sorry, the answer was withheld because it did not meet the content policy.',
};

/** Ids that only stand in for a guardrail somebody still has to create. */
const PLACEHOLDER_ID = /placeholder|change-?me|todo|^x+$|^0+$|example/i;
const GUARDRAIL_ID = /^(?:[a-z0-9]{1,64}|arn:aws[a-z-]*:bedrock:[a-z0-9-]+:\d{12}:guardrail\/[a-z0-9]+)$/;
/** System-defined guardrail profiles: `<geography>.guardrail.v<major>:<minor>`. */
export const GUARDRAIL_PROFILE_ID = /^(us|us-gov|eu|apac|jp|au|ca)\.guardrail\.v\d+:\d+$/;

const text = (max: number) =>
  z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

const policiesSchema = z.strictObject({
  contentFilters: z
    .array(
      z
        .strictObject({
          type: z.enum(CONTENT_FILTER_TYPES, { error: `must be one of ${CONTENT_FILTER_TYPES.join(', ')}` }),
          inputStrength: z.enum(FILTER_STRENGTHS, { error: `must be one of ${FILTER_STRENGTHS.join(', ')}` }),
          outputStrength: z.enum(FILTER_STRENGTHS, {
            error: `must be one of ${FILTER_STRENGTHS.join(', ')}`,
          }),
        })
        .refine((f) => f.type !== 'PROMPT_ATTACK' || f.outputStrength === 'NONE', {
          message: "must be 'NONE' for PROMPT_ATTACK, which Bedrock applies to questions only",
          path: ['outputStrength'],
        }),
    )
    .readonly(),
  piiEntities: z
    .array(
      z.strictObject({
        type: z.enum(PII_ENTITY_TYPES, { error: 'must be a Bedrock PII entity type such as EMAIL or PHONE' }),
        action: z.enum(['BLOCK', 'ANONYMIZE'], { error: "must be 'BLOCK' or 'ANONYMIZE'" }),
      }),
    )
    .readonly(),
  deniedTopics: z
    .array(
      z.strictObject({
        name: z
          .string()
          .regex(/^[0-9A-Za-z_\- !?.]{1,100}$/, 'must be 1-100 letters, digits, spaces or _-!?.'),
        definition: text(200),
        examples: z.array(text(100)).max(5, 'must list at most 5 examples').readonly().optional(),
      }),
    )
    .max(30, 'must list at most 30 topics')
    .readonly(),
  deniedWords: z.array(text(100)).max(10_000, 'must list at most 10000 words').readonly(),
  blockProfanity: z.boolean(),
  blockedInputMessage: text(500),
  blockedOutputMessage: text(500),
});

export const guardrailConfigSchema = z
  .strictObject({
    create: policiesSchema.optional(),
    existing: z
      .strictObject({
        id: z
          .string()
          .regex(GUARDRAIL_ID, 'must be a guardrail id (lowercase letters and digits) or ARN')
          .refine((id) => !PLACEHOLDER_ID.test(id), {
            message:
              'is a placeholder, not a guardrail: put the id of your guardrail here (aws bedrock list-guardrails), ' +
              "or drop guardrail.existing and let the stack create one from guardrail.create (README 'First deploy')",
          }),
        version: z.string().regex(/^(?:DRAFT|[1-9]\d{0,7})$/, "must be 'DRAFT' or a version number"),
      })
      .optional(),
    crossRegionProfile: z
      .string()
      .regex(GUARDRAIL_PROFILE_ID, 'must be a guardrail profile id such as us.guardrail.v1:0')
      .optional(),
    streamMode: z.enum(['sync', 'async']).optional(),
  })
  .superRefine((guardrail, ctx) => {
    if (guardrail.create && guardrail.existing) {
      ctx.addIssue({
        code: 'custom',
        message:
          'sets both create and existing: keep one. To use your own guardrail over the built-in defaults, ' +
          'set "create": null beside "existing" in your stage settings',
      });
    }
    if (!guardrail.create && !guardrail.existing) {
      ctx.addIssue({
        code: 'custom',
        message:
          'sets neither create nor existing: set guardrail.create (the stack creates a guardrail from its ' +
          'policies) or guardrail.existing ({"id": "<guardrail id>", "version": "<number or DRAFT>"})',
      });
    }
  });

// Compile-time check that the schema produces exactly what the interface promises.
const _schemaMatchesInterface: z.ZodType<GuardrailConfig> = guardrailConfigSchema;
