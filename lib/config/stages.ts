/**
 * Stage configuration (DESIGN 6): everything that differs between dev, qa and prod, typed and
 * validated before a single construct is created. `bin/app.ts` picks one with
 * `-c stage=<dev|qa|prod>`. The values below are the built-in defaults; users change them in
 * `stages.json` or CDK context, never here (stage-settings.ts merges and validates them).
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as z from 'zod';
import { DEFAULT_SESSION_TTL_DAYS } from '../../src/shared/sessions.js';
import { INFERENCE_PROFILE_REGIONS, parseModelId } from './bedrock-models.js';
import {
  DEFAULT_GUARDRAIL_POLICIES,
  guardrailConfigSchema,
  type GuardrailConfig,
} from './guardrail-config.js';

export type { GuardrailConfig } from './guardrail-config.js';

export const STAGE_NAMES = ['dev', 'qa', 'prod'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** What happens to stateful resources (tables, log groups) when their stack is deleted. */
export type DataRemovalPolicy = 'retain' | 'destroy';

/** The invocations function: sizing, time budget and (prod) provisioned throughput. */
export interface InvocationsConfig {
  /** Lambda memory in MB (128–10240); CPU scales with it, 1769 MB is one full vCPU. */
  readonly memorySizeMb: number;
  /** Lambda timeout in seconds (1–900); above every budget below, so the handler answers 504 itself. */
  readonly timeoutSeconds: number;
  /** Time budget of one buffered request inside the function, in ms. */
  readonly requestTimeoutMs: number;
  /**
   * Budgets of a streamed answer, which may run longer than a buffered one (API Gateway allows a
   * stream up to 15 minutes).
   */
  readonly streaming: StreamingBudgets;
  /**
   * Provisioned concurrency on the `live` alias, autoscaled between min and max by target tracking
   * on utilization (Databricks provisioned throughput). Absent means on-demand only (scale to
   * zero): no alias, API Gateway calls the function itself.
   */
  readonly provisionedConcurrency?: ProvisionedConcurrencyConfig;
  /**
   * How CodeDeploy moves the `live` alias to a new version, rolling back when an alarm fires.
   * Only with provisionedConcurrency (which creates the alias). @default 'ALL_AT_ONCE'
   */
  readonly deployment?: DeploymentStrategy;
}

export interface StreamingBudgets {
  /** Until the stream opens (history, retrieval, the model's first token): past it, 504 DEADLINE_EXCEEDED. */
  readonly firstByteMs: number;
  /** The whole stream; past it the stream ends with a DEADLINE_EXCEEDED error event. */
  readonly totalMs: number;
}

export interface ProvisionedConcurrencyConfig {
  /** Environments kept initialized at all times. */
  readonly min: number;
  /** Upper bound Application Auto Scaling may raise provisioned concurrency to. */
  readonly max: number;
  /** Target share of provisioned environments in use (0.1–0.9); scaling keeps utilization near it. */
  readonly targetUtilization: number;
}

/** CodeDeploy's predefined Lambda deployment configurations (`LambdaDeploymentConfig.<name>`). */
export const DEPLOYMENT_STRATEGIES = [
  'ALL_AT_ONCE',
  'CANARY_10PERCENT_5MINUTES',
  'CANARY_10PERCENT_10MINUTES',
  'CANARY_10PERCENT_15MINUTES',
  'CANARY_10PERCENT_30MINUTES',
  'LINEAR_10PERCENT_EVERY_1MINUTE',
  'LINEAR_10PERCENT_EVERY_2MINUTES',
  'LINEAR_10PERCENT_EVERY_3MINUTES',
  'LINEAR_10PERCENT_EVERY_10MINUTES',
] as const;
export type DeploymentStrategy = (typeof DEPLOYMENT_STRATEGIES)[number];

/** The TOKEN authorizer function in front of every authorized route. */
export interface AuthorizerConfig {
  /** Lambda memory in MB. */
  readonly memorySizeMb: number;
  /** Lambda timeout in seconds; API Gateway waits at most 10 s for an authorizer anyway. */
  readonly timeoutSeconds: number;
  /**
   * How long API Gateway caches a token's policy (0 disables the cache, max 3600). A revoked token
   * keeps working for up to this long, so keep it short.
   */
  readonly cacheTtlSeconds: number;
}

/** Settings shared by every table of the stateful stack (sessions, tokens, usage counters). */
export interface TablesConfig {
  /** `retain` keeps tables when their stack is deleted; `destroy` is allowed on dev only. */
  readonly removalPolicy: DataRemovalPolicy;
  /** DynamoDB point-in-time recovery (35 days of continuous backups). Required on prod. */
  readonly pointInTimeRecovery: boolean;
  /** DynamoDB deletion protection: the table cannot be deleted until it is switched off. */
  readonly deletionProtection: boolean;
}

/** The REST API: stage throttling, optional firewall and custom domain. */
export interface ApiConfig {
  /** Stage throttling: steady-state requests per second over all clients. */
  readonly throttlingRateLimit: number;
  /** Stage throttling: burst bucket size. */
  readonly throttlingBurstLimit: number;
  /**
   * A regional AWS WAF web ACL on the stage: AWS IP reputation and known-bad-input rules, and a
   * 413 for a declared body over the 6 MB limit before it reaches Lambda. Costs a monthly fee per
   * stage. @default false
   */
  readonly firewall?: boolean;
  /**
   * Serve the API at the root of a custom domain (`https://<domainName>/serving-endpoints/...`),
   * which clients that drop the path of a host URL (older Databricks SDKs) need. The ACM
   * certificate must be in the stage's region. @default - the execute-api URL with the stage path
   */
  readonly customDomain?: { readonly domainName: string; readonly certificateArn: string };
  /**
   * The account-wide CloudWatch role that REST API logging needs once per account and region
   * (`AWS::ApiGateway::Account`). `create`: the app's account stack (`rag-serving-account`) creates
   * and sets it, and keeps both when deleted; `existing`: the account already has one (preflight
   * checks), so the app leaves the setting alone. @default 'create'
   */
  readonly accountCloudWatchRole?: 'create' | 'existing';
}

/** Alarm thresholds and the e-mail subscribers of the stage's alarm topic (DESIGN 5). */
export interface AlarmsConfig {
  /** E-mail addresses subscribed to the stage's SNS alarm topic. */
  readonly emailSubscribers: readonly string[];
  /** Length of one alarm evaluation period in minutes. */
  readonly periodMinutes: number;
  /** Periods an alarm looks back over. */
  readonly evaluationPeriods: number;
  /** Breaching periods among those that put an alarm in ALARM (at most evaluationPeriods). */
  readonly datapointsToAlarm: number;
  /** Alarm when server errors exceed this percentage of requests in a period. */
  readonly serverErrorRatePercent: number;
  /** Alarm when the p99 latency of buffered responses exceeds this many milliseconds in a period. */
  readonly p99LatencyMs: number;
  /** Alarm when the p99 time to the first byte of streamed answers exceeds this many milliseconds. */
  readonly streamFirstByteP99Ms: number;
  /**
   * Alarm when requests failed on a misconfigured backend (access denied, model or index not
   * found, missing secret: 500 BACKEND_MISCONFIGURED) reach this count in a period.
   */
  readonly backendMisconfigured: number;
  /** Alarm when API Gateway answers 5xx to more than this percentage of requests (its own and the handler's). */
  readonly gatewayServerErrorRatePercent: number;
  /**
   * Alarm when API Gateway answers 4xx to more than this percentage of requests: a spike means
   * authorizer, token store or firewall trouble (or a broken client release).
   */
  readonly gatewayClientErrorRatePercent: number;
  /** Alarm when API Gateway's p99 latency (authorizer, cold starts and integration included) exceeds this. */
  readonly gatewayP99LatencyMs: number;
  /**
   * With provisioned concurrency: alarm when this many invocations in a period spill over to
   * on-demand (cold) environments because every provisioned one was busy.
   */
  readonly provisionedSpillover: number;
  /** Alarm when guardrail interventions in a period reach this count. */
  readonly guardrailInterventions: number;
  /** Alarm when throttled requests (quota 429s, or Lambda throttles) in a period reach this count. */
  readonly throttles: number;
  /**
   * Alarm when invocations function errors (crashes, timeouts, init failures: failures that never
   * became a response, so the handler's own metrics miss them) in a period reach this count.
   */
  readonly functionErrors: number;
  /**
   * Alarm when authorizer function errors in a period reach this count. A rejected token counts as
   * an error too (a TOKEN authorizer signals 401 by throwing), so set it above the usual rate of
   * bad tokens: a spike means a broken token store or someone guessing tokens.
   */
  readonly authorizerErrors: number;
}

/**
 * Bedrock model ids. Each may be a foundation-model id (`amazon.titan-embed-text-v2:0`) or a
 * cross-region inference profile id (`us.anthropic...`); for a profile, IAM must allow the
 * profile and the foundation model in every region it routes to (DESIGN 6).
 */
export interface ModelsConfig {
  readonly embeddingModelId: string;
  readonly generationModelId: string;
  /** Model that rewrites follow-up questions before retrieval. @default generationModelId */
  readonly condenseModelId?: string;
}

/** Pinecone index for retrieval; the API key is read from Secrets Manager, never from env values. */
export interface PineconeConfig {
  readonly indexName: string;
  /**
   * The index's host (`<index>-<project>.svc.<env>.pinecone.io`). With it the function skips the
   * control-plane call that looks the host up from the index name at cold start.
   * @default - looked up from indexName
   */
  readonly host?: string;
  /** Default namespace; tenants get their own namespace. */
  readonly namespace: string;
  /** Name of the Secrets Manager secret that holds the Pinecone API key. */
  readonly apiKeySecretName: string;
}

/** Per-principal quotas, enforced by the handler with the usage table (429 REQUEST_LIMIT_EXCEEDED). */
export interface QuotasConfig {
  /** Requests per principal per minute; 0 means unlimited. */
  readonly requestsPerMinute: number;
  /** Model tokens (input + output) per principal per minute; 0 means unlimited. */
  readonly tokensPerMinute: number;
}

/** `ask_rag(query, session_id)` for Amazon Redshift: the Lambda UDF and the role Redshift assumes to call it. */
export interface SqlFunctionConfig {
  /** Deploy the function and the role. */
  readonly enabled: boolean;
}

/**
 * The jobs (the Databricks Jobs analog): the documents bucket and its ingestion (S3 events through
 * SQS, a scheduled full reconcile with a Step Functions distributed map), and batch answers for
 * JSON Lines files dropped under the batch prefix.
 */
export interface JobsConfig {
  /**
   * When the full reconcile runs: an EventBridge Scheduler expression (`rate(1 day)`,
   * `cron(0 3 * * ? *)`), or `off` for on-demand runs only.
   */
  readonly schedule: string;
  /** IANA time zone of a cron schedule, e.g. `Europe/Berlin`. */
  readonly scheduleTimeZone: string;
  /** Source name of the bucket's documents: their chunk ids start with `<sourceName>:`. */
  readonly sourceName: string;
  /** Key prefix of the documents to ingest (ends with `/`). */
  readonly documentsPrefix: string;
  /** Key prefix under which a `.jsonl` file starts a batch-answers run (ends with `/`, apart from documentsPrefix). */
  readonly batchPrefix: string;
  /** Largest document ingested, in MiB; larger ones are skipped with a reason. */
  readonly maxDocumentMb: number;
  /**
   * Batches of documents the reconcile's distributed map indexes at once. Each holds up to 8
   * embedding calls in flight (Titan embeds one text per call), so this bounds the Bedrock and
   * Pinecone load: keep mapConcurrency × 8 under the account's embedding quota.
   */
  readonly mapConcurrency: number;
  /** Documents per batch of the map (one ingestion function invocation). */
  readonly documentsPerBatch: number;
  /** Ingestion functions working on S3 events at once (2–1000): the incremental path's share of the quotas. */
  readonly eventConcurrency: number;
  /** Ranges of lines a batch-answers run answers at once. */
  readonly batchMapConcurrency: number;
  /** Lines per range (one function invocation). */
  readonly linesPerBatch: number;
  /** Lines one function answers at once. */
  readonly lineConcurrency: number;
  /** Memory of the job functions in MB. */
  readonly functionMemoryMb: number;
  /** Timeout of the job functions in seconds (at most 900). */
  readonly functionTimeoutSeconds: number;
  /** E-mail addresses told about every run's outcome (the jobs topic); alarms go to the alarm topic. */
  readonly notificationEmails: readonly string[];
}

export interface StageConfig {
  readonly stage: StageName;
  /** AWS region. @default the CLI's region (`CDK_DEFAULT_REGION`) */
  readonly region?: string;
  /** 12-digit AWS account id. @default the CLI's account (`CDK_DEFAULT_ACCOUNT`), if any */
  readonly account?: string;
  /** Name in `/serving-endpoints/{name}/invocations`. */
  readonly endpointName: string;
  /** Protect the stage's stacks from `cdk destroy` / stack deletion. */
  readonly terminationProtection: boolean;
  readonly invocations: InvocationsConfig;
  readonly authorizer: AuthorizerConfig;
  /** Retention of the functions' CloudWatch log groups, in days (a value CloudWatch accepts). */
  readonly logRetentionDays: RetentionDays;
  readonly tables: TablesConfig;
  readonly sessions: {
    /** Days a conversation turn lives after it is written (DynamoDB TTL). */
    readonly ttlDays: number;
  };
  readonly api: ApiConfig;
  readonly quotas: QuotasConfig;
  readonly alarms: AlarmsConfig;
  readonly models: ModelsConfig;
  /** The Bedrock guardrail on questions and answers: created from policies, or an existing one. */
  readonly guardrail: GuardrailConfig;
  readonly pinecone: PineconeConfig;
  /** The Redshift SQL function. @default { enabled: true } */
  readonly sqlFunction?: SqlFunctionConfig;
  readonly jobs: JobsConfig;
}

const TITAN_EMBED_V2 = 'amazon.titan-embed-text-v2:0';

/** The built-in stage defaults; settings from stages.json and context merge over them on every synth. */
export const STAGES: Readonly<Record<StageName, StageConfig>> = {
  dev: {
    stage: 'dev',
    // No region: a developer deploys dev to the region of their CLI profile.
    endpointName: 'rag',
    terminationProtection: false,
    invocations: {
      memorySizeMb: 1024,
      timeoutSeconds: 150,
      requestTimeoutMs: 25_000,
      streaming: { firstByteMs: 25_000, totalMs: 120_000 },
    },
    authorizer: { memorySizeMb: 256, timeoutSeconds: 5, cacheTtlSeconds: 60 },
    logRetentionDays: 7,
    tables: { removalPolicy: 'destroy', pointInTimeRecovery: false, deletionProtection: false },
    sessions: { ttlDays: 7 },
    api: { throttlingRateLimit: 10, throttlingBurstLimit: 20 },
    quotas: { requestsPerMinute: 60, tokensPerMinute: 100_000 },
    alarms: {
      emailSubscribers: [],
      periodMinutes: 5,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      serverErrorRatePercent: 10,
      p99LatencyMs: 15_000,
      streamFirstByteP99Ms: 15_000,
      backendMisconfigured: 1,
      gatewayServerErrorRatePercent: 10,
      gatewayClientErrorRatePercent: 50,
      gatewayP99LatencyMs: 30_000,
      provisionedSpillover: 10,
      guardrailInterventions: 50,
      throttles: 50,
      functionErrors: 5,
      authorizerErrors: 100,
    },
    models: { embeddingModelId: TITAN_EMBED_V2, generationModelId: 'us.amazon.nova-lite-v1:0' },
    guardrail: { create: DEFAULT_GUARDRAIL_POLICIES },
    pinecone: {
      indexName: 'rag-serving-dev',
      namespace: 'default',
      apiKeySecretName: 'rag-serving/dev/pinecone-api-key',
    },
    jobs: {
      schedule: 'rate(1 day)',
      scheduleTimeZone: 'UTC',
      sourceName: 'docs',
      documentsPrefix: 'docs/',
      batchPrefix: 'batch/',
      maxDocumentMb: 10,
      mapConcurrency: 2,
      documentsPerBatch: 50,
      eventConcurrency: 2,
      batchMapConcurrency: 2,
      linesPerBatch: 100,
      lineConcurrency: 8,
      functionMemoryMb: 1024,
      functionTimeoutSeconds: 900,
      notificationEmails: [],
    },
  },
  qa: {
    stage: 'qa',
    region: 'us-east-1',
    endpointName: 'rag',
    terminationProtection: false,
    invocations: {
      memorySizeMb: 1769,
      timeoutSeconds: 150,
      requestTimeoutMs: 25_000,
      streaming: { firstByteMs: 20_000, totalMs: 120_000 },
    },
    authorizer: { memorySizeMb: 256, timeoutSeconds: 5, cacheTtlSeconds: 60 },
    logRetentionDays: 30,
    tables: { removalPolicy: 'retain', pointInTimeRecovery: false, deletionProtection: false },
    sessions: { ttlDays: DEFAULT_SESSION_TTL_DAYS },
    api: { throttlingRateLimit: 25, throttlingBurstLimit: 50 },
    quotas: { requestsPerMinute: 120, tokensPerMinute: 200_000 },
    alarms: {
      emailSubscribers: [],
      periodMinutes: 5,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      serverErrorRatePercent: 5,
      p99LatencyMs: 12_000,
      streamFirstByteP99Ms: 12_000,
      backendMisconfigured: 1,
      gatewayServerErrorRatePercent: 5,
      gatewayClientErrorRatePercent: 40,
      gatewayP99LatencyMs: 25_000,
      provisionedSpillover: 10,
      guardrailInterventions: 25,
      throttles: 25,
      functionErrors: 3,
      authorizerErrors: 100,
    },
    models: {
      embeddingModelId: TITAN_EMBED_V2,
      generationModelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
    },
    guardrail: { create: DEFAULT_GUARDRAIL_POLICIES },
    pinecone: {
      indexName: 'rag-serving-qa',
      namespace: 'default',
      apiKeySecretName: 'rag-serving/qa/pinecone-api-key',
    },
    jobs: {
      schedule: 'rate(1 day)',
      scheduleTimeZone: 'UTC',
      sourceName: 'docs',
      documentsPrefix: 'docs/',
      batchPrefix: 'batch/',
      maxDocumentMb: 10,
      mapConcurrency: 4,
      documentsPerBatch: 50,
      eventConcurrency: 2,
      batchMapConcurrency: 4,
      linesPerBatch: 100,
      lineConcurrency: 8,
      functionMemoryMb: 1769,
      functionTimeoutSeconds: 900,
      notificationEmails: [],
    },
  },
  prod: {
    stage: 'prod',
    region: 'us-east-1',
    endpointName: 'rag',
    terminationProtection: true,
    invocations: {
      memorySizeMb: 1769,
      timeoutSeconds: 150,
      requestTimeoutMs: 25_000,
      streaming: { firstByteMs: 15_000, totalMs: 120_000 },
      provisionedConcurrency: { min: 2, max: 20, targetUtilization: 0.7 },
      // 10 % of traffic for 10 minutes: long enough for three 1-minute alarm datapoints.
      deployment: 'CANARY_10PERCENT_10MINUTES',
    },
    authorizer: { memorySizeMb: 256, timeoutSeconds: 5, cacheTtlSeconds: 60 },
    logRetentionDays: 90,
    tables: { removalPolicy: 'retain', pointInTimeRecovery: true, deletionProtection: true },
    sessions: { ttlDays: DEFAULT_SESSION_TTL_DAYS },
    api: { throttlingRateLimit: 100, throttlingBurstLimit: 200, firewall: true },
    quotas: { requestsPerMinute: 300, tokensPerMinute: 500_000 },
    alarms: {
      emailSubscribers: [],
      // 1-minute periods, 3 of 5 breaching: fast enough to stop a canary, not one bad minute.
      periodMinutes: 1,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      serverErrorRatePercent: 1,
      p99LatencyMs: 10_000,
      streamFirstByteP99Ms: 8_000,
      backendMisconfigured: 1,
      gatewayServerErrorRatePercent: 1,
      gatewayClientErrorRatePercent: 25,
      gatewayP99LatencyMs: 20_000,
      provisionedSpillover: 5,
      guardrailInterventions: 10,
      throttles: 10,
      functionErrors: 1,
      authorizerErrors: 100,
    },
    models: {
      embeddingModelId: TITAN_EMBED_V2,
      generationModelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
    },
    guardrail: { create: DEFAULT_GUARDRAIL_POLICIES },
    pinecone: {
      indexName: 'rag-serving-prod',
      namespace: 'default',
      apiKeySecretName: 'rag-serving/prod/pinecone-api-key',
    },
    jobs: {
      schedule: 'cron(0 3 * * ? *)',
      scheduleTimeZone: 'UTC',
      sourceName: 'docs',
      documentsPrefix: 'docs/',
      batchPrefix: 'batch/',
      maxDocumentMb: 10,
      mapConcurrency: 10,
      documentsPerBatch: 50,
      eventConcurrency: 5,
      batchMapConcurrency: 10,
      linesPerBatch: 100,
      lineConcurrency: 8,
      functionMemoryMb: 1769,
      functionTimeoutSeconds: 900,
      notificationEmails: [],
    },
  },
};

const RETENTION_DAYS = Object.values(RetentionDays).filter((v): v is RetentionDays => typeof v === 'number');

const int = (min: number, max: number, unit = '') =>
  z
    .number()
    .int('must be a whole number')
    .min(min, `must be at least ${min}${unit}`)
    .max(max, `must be at most ${max}${unit}`);

/** Bedrock model or inference profile id: optional geography prefix, `provider.model[:version]`. */
const MODEL_ID = /^(?:(?:us|us-gov|eu|apac|jp|au|ca|global)\.)?[a-z0-9-]+\.[A-Za-z0-9._:-]+$/;
/** An S3 key prefix: no leading slash, ends with one. */
const KEY_PREFIX = /^(?:[A-Za-z0-9!_.*'()-]+\/)+$/;

const stageConfigSchema = z
  .strictObject({
    stage: z.enum(STAGE_NAMES),
    region: z
      .string()
      .regex(/^[a-z]{2}(?:-[a-z]+)+-\d$/, 'must be an AWS region code such as us-east-1')
      .optional(),
    account: z
      .string()
      .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
      .optional(),
    endpointName: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/,
        'must be 1-63 letters, digits, - or _, starting alphanumeric',
      ),
    terminationProtection: z.boolean(),
    invocations: z.strictObject({
      memorySizeMb: int(128, 10_240, ' MB'),
      timeoutSeconds: int(1, 900, ' s'),
      requestTimeoutMs: int(1_000, 899_000, ' ms'),
      streaming: z
        .strictObject({
          firstByteMs: int(1_000, 899_000, ' ms'),
          totalMs: int(1_000, 899_000, ' ms'),
        })
        .refine((s) => s.totalMs >= s.firstByteMs, {
          message: 'must be at least streaming.firstByteMs',
          path: ['totalMs'],
        }),
      provisionedConcurrency: z
        .strictObject({
          min: int(1, 10_000),
          max: int(1, 10_000),
          targetUtilization: z.number().min(0.1, 'must be at least 0.1').max(0.9, 'must be at most 0.9'),
        })
        .refine((pc) => pc.max >= pc.min, { message: 'must be at least min', path: ['max'] })
        .optional(),
      deployment: z
        .enum(DEPLOYMENT_STRATEGIES, { error: `must be one of ${DEPLOYMENT_STRATEGIES.join(', ')}` })
        .optional(),
    }),
    authorizer: z.strictObject({
      memorySizeMb: int(128, 10_240, ' MB'),
      timeoutSeconds: int(1, 30, ' s'),
      cacheTtlSeconds: int(0, 3_600, ' s'),
    }),
    logRetentionDays: z.custom<RetentionDays>(
      (v) => RETENTION_DAYS.includes(v as RetentionDays),
      `must be one of the CloudWatch retention values: ${RETENTION_DAYS.join(', ')}`,
    ),
    tables: z.strictObject({
      removalPolicy: z.enum(['retain', 'destroy']),
      pointInTimeRecovery: z.boolean(),
      deletionProtection: z.boolean(),
    }),
    sessions: z.strictObject({ ttlDays: int(1, 365, ' days') }),
    api: z.strictObject({
      throttlingRateLimit: z.number().positive('must be greater than 0').max(10_000, 'must be at most 10000'),
      throttlingBurstLimit: int(1, 5_000),
      firewall: z.boolean().optional(),
      customDomain: z
        .strictObject({
          domainName: z
            .string()
            .regex(
              /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
              'must be a lowercase DNS name such as rag.example.com',
            ),
          certificateArn: z
            .string()
            .regex(
              /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/,
              'must be an ACM certificate ARN',
            ),
        })
        .optional(),
      accountCloudWatchRole: z
        .enum(['create', 'existing'], { error: "must be 'create' or 'existing'" })
        .optional(),
    }),
    alarms: z.strictObject({
      emailSubscribers: z.array(z.email('must be an e-mail address')).readonly(),
      periodMinutes: int(1, 60, ' minutes'),
      evaluationPeriods: int(1, 100),
      datapointsToAlarm: int(1, 100),
      serverErrorRatePercent: z.number().gt(0, 'must be greater than 0').max(100, 'must be at most 100'),
      p99LatencyMs: int(1, 900_000, ' ms'),
      streamFirstByteP99Ms: int(1, 900_000, ' ms'),
      backendMisconfigured: int(1, 1_000_000),
      gatewayServerErrorRatePercent: z
        .number()
        .gt(0, 'must be greater than 0')
        .max(100, 'must be at most 100'),
      gatewayClientErrorRatePercent: z
        .number()
        .gt(0, 'must be greater than 0')
        .max(100, 'must be at most 100'),
      gatewayP99LatencyMs: int(1, 900_000, ' ms'),
      provisionedSpillover: int(1, 1_000_000),
      guardrailInterventions: int(1, 1_000_000),
      throttles: int(1, 1_000_000),
      functionErrors: int(1, 1_000_000),
      authorizerErrors: int(1, 1_000_000),
    }),
    models: z.strictObject({
      embeddingModelId: z.string().regex(MODEL_ID, 'must be a Bedrock model or inference profile id'),
      generationModelId: z.string().regex(MODEL_ID, 'must be a Bedrock model or inference profile id'),
      condenseModelId: z
        .string()
        .regex(MODEL_ID, 'must be a Bedrock model or inference profile id')
        .optional(),
    }),
    guardrail: guardrailConfigSchema,
    quotas: z.strictObject({
      requestsPerMinute: int(0, 1_000_000),
      tokensPerMinute: int(0, 100_000_000),
    }),
    pinecone: z.strictObject({
      host: z
        .string()
        .regex(
          /^[a-z0-9][a-z0-9.-]*\.pinecone\.io$/,
          'must be a Pinecone index host such as my-index-abc123.svc.aped-4627-b74a.pinecone.io (no scheme)',
        )
        .optional(),
      indexName: z
        .string()
        .regex(/^[a-z0-9](?:[a-z0-9-]{0,43}[a-z0-9])?$/, 'must be 1-45 lowercase letters, digits or -'),
      namespace: z
        .string()
        .regex(/^[\x21-\x7e]{1,512}$/, 'must be 1-512 printable characters without spaces'),
      apiKeySecretName: z
        .string()
        .regex(
          /^[A-Za-z0-9/_+=.@-]{1,512}$/,
          'must be a Secrets Manager secret name (letters, digits, /_+=.@-)',
        ),
    }),
    sqlFunction: z.strictObject({ enabled: z.boolean() }).optional(),
    jobs: z
      .strictObject({
        schedule: z
          .string()
          .regex(
            /^(?:off|rate\(\d+ (?:minute|minutes|hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$/,
            "must be 'off', rate(<n> minutes|hours|days) or cron(<6 fields>)",
          ),
        scheduleTimeZone: z
          .string()
          .regex(
            /^(?:UTC|[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)+)$/,
            'must be an IANA time zone such as UTC or Europe/Berlin',
          ),
        sourceName: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 letters, digits, ., _ or -'),
        documentsPrefix: z.string().regex(KEY_PREFIX, 'must be an S3 key prefix ending with / (e.g. docs/)'),
        batchPrefix: z.string().regex(KEY_PREFIX, 'must be an S3 key prefix ending with / (e.g. batch/)'),
        maxDocumentMb: int(1, 100, ' MiB'),
        mapConcurrency: int(1, 1_000),
        documentsPerBatch: int(1, 1_000),
        eventConcurrency: int(2, 1_000),
        batchMapConcurrency: int(1, 1_000),
        linesPerBatch: int(1, 10_000),
        lineConcurrency: int(1, 100),
        functionMemoryMb: int(128, 10_240, ' MB'),
        functionTimeoutSeconds: int(60, 900, ' s'),
        notificationEmails: z.array(z.email('must be an e-mail address')).readonly(),
      })
      .refine(
        (jobs) =>
          !jobs.documentsPrefix.startsWith(jobs.batchPrefix) &&
          !jobs.batchPrefix.startsWith(jobs.documentsPrefix),
        {
          message:
            'must not contain or lie inside documentsPrefix: batch files would be ingested as documents',
          path: ['batchPrefix'],
        },
      ),
  })
  .superRefine((config, ctx) => {
    const lambdaTimeoutMs = config.invocations.timeoutSeconds * 1000;
    for (const path of [['requestTimeoutMs'], ['streaming', 'totalMs']]) {
      const budget = path.reduce<unknown>(
        (node, key) => (node as Record<string, unknown>)[key],
        config.invocations,
      );
      if ((budget as number) >= lambdaTimeoutMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['invocations', ...path],
          message: `must be below the Lambda timeout (${lambdaTimeoutMs} ms) so the handler can answer 504 itself`,
        });
      }
    }
    if (config.tables.removalPolicy === 'destroy' && config.stage !== 'dev') {
      ctx.addIssue({
        code: 'custom',
        path: ['tables', 'removalPolicy'],
        message: `'destroy' is allowed on stage dev only; use 'retain' on ${config.stage}`,
      });
    }
    if (config.alarms.datapointsToAlarm > config.alarms.evaluationPeriods) {
      ctx.addIssue({
        code: 'custom',
        path: ['alarms', 'datapointsToAlarm'],
        message: `must be at most alarms.evaluationPeriods (${config.alarms.evaluationPeriods})`,
      });
    }
    if (config.invocations.deployment !== undefined && !config.invocations.provisionedConcurrency) {
      ctx.addIssue({
        code: 'custom',
        path: ['invocations', 'deployment'],
        message: 'needs invocations.provisionedConcurrency, which creates the live alias it deploys to',
      });
    }
    if (config.region !== undefined) {
      for (const key of ['embeddingModelId', 'generationModelId', 'condenseModelId'] as const) {
        const id = config.models[key];
        if (id === undefined) continue;
        const parsed = parseModelId(id);
        if (parsed.kind !== 'inference-profile' || parsed.prefix === 'global') continue;
        const regions: readonly string[] = INFERENCE_PROFILE_REGIONS[parsed.prefix];
        if (!regions.includes(config.region)) {
          ctx.addIssue({
            code: 'custom',
            path: ['models', key],
            message: `is a '${parsed.prefix}' inference profile, which cannot be called from ${config.region} (only from ${regions.join(', ')})`,
          });
        }
      }
    }
    const profile = config.guardrail.crossRegionProfile;
    if (config.region !== undefined && profile !== undefined) {
      const geography = profile.slice(0, profile.indexOf('.')) as keyof typeof INFERENCE_PROFILE_REGIONS;
      const regions: readonly string[] = INFERENCE_PROFILE_REGIONS[geography] ?? [];
      if (!regions.includes(config.region)) {
        ctx.addIssue({
          code: 'custom',
          path: ['guardrail', 'crossRegionProfile'],
          message: `is a '${geography}' guardrail profile, which cannot be used from ${config.region} (only from ${regions.join(', ')})`,
        });
      }
    }
    if (config.stage === 'prod' && !config.tables.pointInTimeRecovery) {
      ctx.addIssue({
        code: 'custom',
        path: ['tables', 'pointInTimeRecovery'],
        message: 'must be true on prod',
      });
    }
  });

// Compile-time check that the schema produces exactly what the interface promises.
const _schemaMatchesInterface: z.ZodType<StageConfig> = stageConfigSchema;

const MAX_SHOWN_VALUE_CHARS = 120;

/** Where a setting's value came from (a settings file, context), for error messages; none for defaults. */
export type SettingOrigin = (path: readonly PropertyKey[]) => string | undefined;

function describeIssue(issue: z.core.$ZodIssue, originOf: SettingOrigin): string {
  const key = issue.path.join('.') || '(root)';
  const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys : undefined;
  // An unknown key comes from whoever added it, not from whoever set its parent object.
  const origin = originOf(unknownKey ? [...issue.path, unknownKey[0]!] : issue.path);
  const from = origin === undefined ? '' : ` [from ${origin}]`;
  if (unknownKey) {
    const keys = unknownKey.map((k) => `'${k}'`).join(', ');
    return `${key === '(root)' ? '' : `${key}: `}unknown key ${keys}${from}`;
  }
  // The bad value itself, unless it is a whole section (a rule over several keys names them instead).
  const shown = 'input' in issue && issue.input !== undefined ? JSON.stringify(issue.input) : '';
  const got = shown !== '' && shown.length <= MAX_SHOWN_VALUE_CHARS ? ` (got ${shown})` : '';
  return `${key} ${issue.message}${got}${from}`;
}

/**
 * Validates a stage configuration. Throws an Error that names every offending key and what is
 * allowed, e.g. `Invalid configuration for stage 'prod': invocations.memorySizeMb must be at most 10240 MB (got 20000)`,
 * and, given `originOf`, where the value came from.
 */
export function parseStageConfig(input: unknown, originOf: SettingOrigin = () => undefined): StageConfig {
  const result = stageConfigSchema.safeParse(input, { reportInput: true });
  if (!result.success) {
    const stage =
      typeof input === 'object' && input !== null && 'stage' in input ? String(input.stage) : 'unknown';
    const problems = result.error.issues.map((issue) => describeIssue(issue, originOf)).join('; ');
    throw new Error(`Invalid configuration for stage '${stage}': ${problems}`);
  }
  return result.data;
}

export function isStageName(name: unknown): name is StageName {
  return typeof name === 'string' && (STAGE_NAMES as readonly string[]).includes(name);
}

/**
 * Returns the validated built-in configuration of a stage (no settings file or context: see
 * `resolveStageConfig` in stage-settings.ts for what `cdk synth` uses).
 * @throws Error `Unknown stage 'foo': use one of dev, qa, prod` for a name that is not a stage.
 */
export function getStageConfig(
  stage: unknown,
  stages: Readonly<Record<StageName, StageConfig>> = STAGES,
): StageConfig {
  if (!isStageName(stage)) {
    throw new Error(`Unknown stage '${String(stage)}': use one of ${STAGE_NAMES.join(', ')}`);
  }
  return checkedStageConfig(stage, stages[stage]);
}

/** Validates the configuration of `stage` and that it says it is that stage. */
export function checkedStageConfig(
  stage: StageName,
  input: unknown,
  originOf: SettingOrigin = () => undefined,
): StageConfig {
  // Checked first: another stage's name would otherwise be judged by that stage's rules.
  const named = typeof input === 'object' && input !== null && 'stage' in input ? input.stage : undefined;
  if (named !== stage) {
    const origin = originOf(['stage']);
    throw new Error(
      `Invalid configuration for stage '${stage}': stage must be '${stage}' (got '${String(named)}'${origin ? `, from ${origin}` : ''})`,
    );
  }
  return parseStageConfig(input, originOf);
}
