/**
 * What a deploy and the first request of a stage need from the account (DESIGN 6, "First-deploy
 * facts"), each checked with the caller's credentials and reported with what to do when it fails.
 * Read-only: no check changes anything in the account.
 */
import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { GetAccountCommand } from '@aws-sdk/client-api-gateway';
import type { BedrockClient } from '@aws-sdk/client-bedrock';
import { GetFoundationModelAvailabilityCommand, GetGuardrailCommand } from '@aws-sdk/client-bedrock';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { GetAccountSettingsCommand } from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { errorName } from '../adapters/aws/aws-errors.js';
import { embeddingModelFor } from '../adapters/bedrock/embedding-models.js';

/** `ok`: fine; `warn`: works, but not as configured or not for long; `fail`: blocks a deploy or the first request. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  /** What was found. */
  readonly detail: string;
  /** What to do, when it is not `ok`. */
  readonly fix?: string;
}

/** The parts of a stage's configuration the checks read (a subset of StageConfig). */
export interface PreflightStage {
  readonly stage: string;
  readonly region: string;
  readonly api: { readonly accountCloudWatchRole?: 'create' | 'existing' };
  readonly invocations: { readonly provisionedConcurrency?: { readonly min: number; readonly max: number } };
  readonly models: {
    readonly embeddingModelId: string;
    readonly generationModelId: string;
    readonly condenseModelId?: string;
  };
  readonly guardrail: { readonly existing?: { readonly id: string; readonly version: string } };
  readonly pinecone: {
    readonly indexName: string;
    readonly host?: string;
    readonly apiKeySecretName: string;
  };
}

export interface PreflightClients {
  readonly ssm: SSMClient;
  readonly apiGateway: APIGatewayClient;
  readonly lambda: LambdaClient;
  readonly bedrock: BedrockClient;
  readonly secrets: SecretsManagerClient;
  /** Describes a Pinecone index with a key: its dimension, metric and host. */
  readonly describePineconeIndex: (
    apiKey: string,
    indexName: string,
  ) => Promise<{ dimension?: number; metric: string; host: string }>;
}

/** Bootstrap stacks older than this cannot publish this app's assets (cdk.out's manifest says 8). */
export const MIN_BOOTSTRAP_VERSION = 8;
const BOOTSTRAP_VERSION_PARAMETER = '/cdk-bootstrap/hnb659fds/version';
/** Lambda refuses provisioned concurrency that would leave fewer unreserved executions than this. */
export const MIN_UNRESERVED_CONCURRENCY = 100;

/** The caller may not even ask: say which permission the check needs instead of failing it. */
function cannotCheck(name: string, error: unknown, action: string): CheckResult | undefined {
  if (errorName(error) !== 'AccessDeniedException' && errorName(error) !== 'AccessDenied') return undefined;
  return {
    name,
    status: 'warn',
    detail: `could not check: the caller may not call ${action}`,
    fix: `run preflight with credentials allowed ${action}, or check by hand`,
  };
}

function failedToCheck(name: string, error: unknown): CheckResult {
  return {
    name,
    status: 'fail',
    detail: `could not check (${errorName(error) || 'error'}: ${error instanceof Error ? error.message : String(error)})`,
    fix: 'check the credentials, the region and the network, then run preflight again',
  };
}

export async function checkBootstrap(clients: PreflightClients, stage: PreflightStage): Promise<CheckResult> {
  const name = 'CDK bootstrap';
  const bootstrap = `npx cdk bootstrap aws://<account>/${stage.region}`;
  try {
    const { Parameter } = await clients.ssm.send(
      new GetParameterCommand({ Name: BOOTSTRAP_VERSION_PARAMETER }),
    );
    const version = Number(Parameter?.Value);
    if (!(version >= MIN_BOOTSTRAP_VERSION)) {
      return {
        name,
        status: 'fail',
        detail: `bootstrap version ${Parameter?.Value} in ${stage.region}; this app needs ${MIN_BOOTSTRAP_VERSION} or later`,
        fix: `run ${bootstrap} again with this project's CDK CLI`,
      };
    }
    return { name, status: 'ok', detail: `version ${version} in ${stage.region}` };
  } catch (error) {
    if (errorName(error) === 'ParameterNotFound') {
      return { name, status: 'fail', detail: `${stage.region} is not bootstrapped`, fix: `run ${bootstrap}` };
    }
    return cannotCheck(name, error, 'ssm:GetParameter') ?? failedToCheck(name, error);
  }
}

export async function checkApiGatewayRole(
  clients: PreflightClients,
  stage: PreflightStage,
): Promise<CheckResult> {
  const name = 'API Gateway CloudWatch role';
  const mode = stage.api.accountCloudWatchRole ?? 'create';
  try {
    const { cloudwatchRoleArn } = await clients.apiGateway.send(new GetAccountCommand({}));
    if (mode === 'existing') {
      return cloudwatchRoleArn
        ? { name, status: 'ok', detail: `the account uses ${cloudwatchRoleArn}` }
        : {
            name,
            status: 'fail',
            detail: `no CloudWatch role is set for API Gateway in ${stage.region}, and the stage says one exists (api.accountCloudWatchRole: 'existing'); REST API logging cannot be created`,
            fix: `set "api": {"accountCloudWatchRole": "create"} for ${stage.stage} in stages.json, so the rag-serving-account stack creates it`,
          };
    }
    if (cloudwatchRoleArn && !cloudwatchRoleArn.includes('rag-serving-account')) {
      return {
        name,
        status: 'warn',
        detail: `the account already uses ${cloudwatchRoleArn}; the rag-serving-account stack would replace it with its own`,
        fix: `set "api": {"accountCloudWatchRole": "existing"} for ${stage.stage} in stages.json to keep it`,
      };
    }
    return {
      name,
      status: 'ok',
      detail: cloudwatchRoleArn
        ? `set by rag-serving-account (${cloudwatchRoleArn})`
        : 'the rag-serving-account stack creates it',
    };
  } catch (error) {
    return cannotCheck(name, error, 'apigateway:GET on /account') ?? failedToCheck(name, error);
  }
}

export async function checkConcurrency(
  clients: PreflightClients,
  stage: PreflightStage,
): Promise<CheckResult> {
  const name = 'Lambda concurrency';
  const quota = 'Service Quotas: AWS Lambda "Concurrent executions" (L-B99A9384) in ' + stage.region;
  try {
    const { AccountLimit } = await clients.lambda.send(new GetAccountSettingsCommand({}));
    const total = AccountLimit?.ConcurrentExecutions ?? 0;
    const unreserved = AccountLimit?.UnreservedConcurrentExecutions ?? 0;
    const provisioned = stage.invocations.provisionedConcurrency;
    if (!provisioned) {
      return total < MIN_UNRESERVED_CONCURRENCY
        ? {
            name,
            status: 'warn',
            detail: `the account may run only ${total} functions at once (a new account's reduced limit): requests beyond that are throttled`,
            fix: `request an increase: ${quota}`,
          }
        : { name, status: 'ok', detail: `${unreserved} of ${total} executions unreserved` };
    }
    if (unreserved - provisioned.min < MIN_UNRESERVED_CONCURRENCY) {
      return {
        name,
        status: 'fail',
        detail:
          `${unreserved} unreserved executions; provisioned concurrency of ${provisioned.min} (invocations.provisionedConcurrency.min) ` +
          `must leave at least ${MIN_UNRESERVED_CONCURRENCY}, so the deploy would fail`,
        fix: `request at least ${provisioned.max + MIN_UNRESERVED_CONCURRENCY} concurrent executions (${quota}), or lower provisionedConcurrency in stages.json`,
      };
    }
    if (unreserved - provisioned.max < MIN_UNRESERVED_CONCURRENCY) {
      return {
        name,
        status: 'warn',
        detail: `${unreserved} unreserved executions: scaling can reach at most ${unreserved - MIN_UNRESERVED_CONCURRENCY} of max ${provisioned.max}`,
        fix: `request at least ${provisioned.max + MIN_UNRESERVED_CONCURRENCY} concurrent executions (${quota})`,
      };
    }
    return {
      name,
      status: 'ok',
      detail: `${unreserved} unreserved executions, enough for provisioned ${provisioned.min}-${provisioned.max}`,
    };
  } catch (error) {
    return cannotCheck(name, error, 'lambda:GetAccountSettings') ?? failedToCheck(name, error);
  }
}

/** `us.anthropic.x` → `anthropic.x`: availability is per foundation model. */
function foundationModelOf(modelId: string): string {
  const [first, ...rest] = modelId.split('.');
  return rest.length >= 2 && ['us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'ca', 'global'].includes(first!)
    ? rest.join('.')
    : modelId;
}

export async function checkModel(
  clients: PreflightClients,
  stage: PreflightStage,
  modelId: string,
): Promise<CheckResult> {
  const name = `Bedrock model ${modelId}`;
  const foundation = foundationModelOf(modelId);
  try {
    const availability = await clients.bedrock.send(
      new GetFoundationModelAvailabilityCommand({ modelId: foundation }),
    );
    if (availability.regionAvailability !== 'AVAILABLE') {
      return {
        name,
        status: 'fail',
        detail: `${foundation} is not offered in ${stage.region}`,
        fix: 'choose a model (or inference profile) offered in the region, in "models" of stages.json',
      };
    }
    if (availability.authorizationStatus !== 'AUTHORIZED') {
      return {
        name,
        status: 'fail',
        detail: `the account may not use ${foundation} (an IAM or organization policy denies it)`,
        fix: 'allow bedrock:InvokeModel on the model for the account (check service control policies), or choose another model',
      };
    }
    const agreement = availability.agreementAvailability?.status;
    if (
      availability.entitlementAvailability !== 'AVAILABLE' ||
      (agreement !== undefined && agreement !== 'AVAILABLE')
    ) {
      return {
        name,
        status: 'fail',
        detail: `${foundation} is not subscribed yet (entitlement ${availability.entitlementAvailability}, agreement ${agreement ?? 'none'}): third-party models subscribe through AWS Marketplace on their first call`,
        fix:
          'call the model once with a principal allowed aws-marketplace:Subscribe and aws-marketplace:ViewSubscriptions ' +
          `(e.g. aws bedrock-runtime converse --model-id ${modelId} --messages '[{"role":"user","content":[{"text":"hi"}]}]' --region ${stage.region}), ` +
          'then run preflight again; the function itself is not allowed to subscribe',
      };
    }
    return { name, status: 'ok', detail: `available, authorized and subscribed in ${stage.region}` };
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException' || errorName(error) === 'ValidationException') {
      return {
        name,
        status: 'fail',
        detail: `Bedrock does not know ${foundation} in ${stage.region}`,
        fix: 'check the model id in "models" of stages.json (aws bedrock list-foundation-models)',
      };
    }
    return cannotCheck(name, error, 'bedrock:GetFoundationModelAvailability') ?? failedToCheck(name, error);
  }
}

export async function checkGuardrail(clients: PreflightClients, stage: PreflightStage): Promise<CheckResult> {
  const name = 'Bedrock guardrail';
  const existing = stage.guardrail.existing;
  if (!existing) return { name, status: 'ok', detail: 'the serving stack creates it from guardrail.create' };
  try {
    const guardrail = await clients.bedrock.send(
      new GetGuardrailCommand({ guardrailIdentifier: existing.id, guardrailVersion: existing.version }),
    );
    if (guardrail.status !== 'READY') {
      return {
        name,
        status: 'fail',
        detail: `guardrail ${existing.id} version ${existing.version} is ${guardrail.status}`,
        fix: 'wait until it is READY, or fix it in the Bedrock console',
      };
    }
    return { name, status: 'ok', detail: `${existing.id} version ${existing.version} is READY` };
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') {
      return {
        name,
        status: 'fail',
        detail: `guardrail ${existing.id} version ${existing.version} does not exist in ${stage.region}`,
        fix: 'set guardrail.existing to a guardrail of this region (aws bedrock list-guardrails), or let the stack create one: "guardrail": {"existing": null, "create": {...}}',
      };
    }
    return cannotCheck(name, error, 'bedrock:GetGuardrail') ?? failedToCheck(name, error);
  }
}

/** Reads the key the function will read, the same way (bare or `{"apiKey": ...}`). */
function keyIn(secret: string | undefined): string | undefined {
  const text = secret?.trim() ?? '';
  if (!text.startsWith('{')) return text === '' ? undefined : text;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const key = parsed.apiKey ?? parsed.api_key ?? parsed.PINECONE_API_KEY;
    return typeof key === 'string' && key !== '' ? key : undefined;
  } catch {
    return undefined;
  }
}

export async function checkPinecone(
  clients: PreflightClients,
  stage: PreflightStage,
): Promise<readonly CheckResult[]> {
  const secretName = 'Pinecone API key secret';
  const secretId = stage.pinecone.apiKeySecretName;
  let apiKey: string | undefined;
  try {
    const { SecretString } = await clients.secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
    apiKey = keyIn(SecretString);
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') {
      return [
        {
          name: secretName,
          status: 'fail',
          detail: `secret ${secretId} does not exist in ${stage.region}`,
          fix: `aws secretsmanager create-secret --name ${secretId} --secret-string '<pinecone api key>' --region ${stage.region}`,
        },
      ];
    }
    return [
      cannotCheck(secretName, error, 'secretsmanager:GetSecretValue') ?? failedToCheck(secretName, error),
    ];
  }
  if (!apiKey) {
    return [
      {
        name: secretName,
        status: 'fail',
        detail: `secret ${secretId} holds no key`,
        fix: `aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string '<pinecone api key>'`,
      },
    ];
  }
  const found: CheckResult = { name: secretName, status: 'ok', detail: `${secretId} holds a key` };
  const indexName = `Pinecone index ${stage.pinecone.indexName}`;
  const embedding = embeddingModelFor(stage.models.embeddingModelId);
  try {
    const index = await clients.describePineconeIndex(apiKey, stage.pinecone.indexName);
    const problems = [
      ...(index.dimension !== embedding.dimensions
        ? [`dimension ${index.dimension} but ${stage.models.embeddingModelId} writes ${embedding.dimensions}`]
        : []),
      ...(index.metric !== 'cosine'
        ? [`metric ${index.metric} (the embeddings are compared by cosine)`]
        : []),
      ...(stage.pinecone.host !== undefined &&
      !index.host.startsWith(stage.pinecone.host) &&
      !stage.pinecone.host.startsWith(index.host)
        ? [`host ${index.host}, not pinecone.host ${stage.pinecone.host}`]
        : []),
    ];
    if (problems.length > 0) {
      return [
        found,
        {
          name: indexName,
          status: 'fail',
          detail: problems.join('; '),
          fix: `create the index with dimension ${embedding.dimensions} and metric cosine (a dense index cannot change either), or point pinecone.indexName and pinecone.host at one that has them`,
        },
      ];
    }
    return [
      found,
      { name: indexName, status: 'ok', detail: `dimension ${index.dimension}, cosine, host ${index.host}` },
    ];
  } catch (error) {
    const status = errorName(error);
    if (status === 'PineconeNotFoundError') {
      return [
        found,
        {
          name: indexName,
          status: 'fail',
          detail: `no index ${stage.pinecone.indexName} in the key's project`,
          fix: `create a serverless index named ${stage.pinecone.indexName}, dimension ${embedding.dimensions}, metric cosine, or fix pinecone.indexName`,
        },
      ];
    }
    if (status === 'PineconeAuthorizationError') {
      return [
        {
          ...found,
          status: 'fail',
          detail: `Pinecone refused the key in ${secretId}`,
          fix: `put a current key of the index's project into ${secretId}`,
        },
      ];
    }
    return [found, failedToCheck(indexName, error)];
  }
}

/** Every check of a stage, in the order a first deploy meets them. */
export async function runPreflight(
  clients: PreflightClients,
  stage: PreflightStage,
): Promise<readonly CheckResult[]> {
  const models = [
    ...new Set([stage.models.embeddingModelId, stage.models.generationModelId, stage.models.condenseModelId]),
  ].filter((id): id is string => id !== undefined);
  const results = await Promise.all([
    checkBootstrap(clients, stage),
    checkApiGatewayRole(clients, stage),
    checkConcurrency(clients, stage),
    ...models.map((id) => checkModel(clients, stage, id)),
    checkGuardrail(clients, stage),
    checkPinecone(clients, stage),
  ]);
  return results.flat();
}
