import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { EnvVar, type Backend } from '../../src/shared/env.js';
import { guardrailArn, guardrailProfileArns, modelResourceArns } from '../config/bedrock-models.js';

/** `RAG_BACKEND` value that selects the Bedrock, Pinecone and DynamoDB adapters. */
export const CLOUD_BACKEND: Backend = 'aws';

/** Bedrock models and guardrail the function calls; it may call nothing else in Bedrock. */
export interface BedrockAccess {
  /** Foundation-model or cross-region inference profile id for query embeddings. */
  readonly embeddingModelId: string;
  /** Foundation-model or cross-region inference profile id for generation (Converse, ConverseStream). */
  readonly generationModelId: string;
  /** Model that condenses follow-up questions. @default - the generation model */
  readonly condenseModelId?: string;
  /** Guardrail id or ARN, applied with ApplyGuardrail. */
  readonly guardrailId: string;
  /** `DRAFT` or a published version number. */
  readonly guardrailVersion: string;
  /**
   * The guardrail's cross-region profile (`us.guardrail.v1:0`), if it uses one: the guardrail may
   * then run in any region of the profile's geography, and each needs ApplyGuardrail on the profile.
   * @default - none
   */
  readonly guardrailProfile?: string;
  /**
   * Streamed answers: `sync` holds text until the guardrail passed it, `async` sends it as
   * generated and checks beside (`RAG_GUARDRAIL_STREAM_MODE`).
   * @default 'sync'
   */
  readonly guardrailStreamMode?: 'sync' | 'async';
}

/** The Pinecone index; the API key stays in Secrets Manager and is read at runtime. */
export interface PineconeAccess {
  readonly indexName: string;
  /** The index host; saves the control-plane look-up at cold start. @default - looked up from indexName */
  readonly host?: string;
  readonly namespace: string;
  /** The secret holding the API key; the function may read this secret only. */
  readonly apiKeySecret: secretsmanager.ISecret;
}

/**
 * What answering a question needs of Bedrock, granted to a function's role: InvokeModel on the
 * embedding model, Converse (and ConverseStream unless `streaming` is false) on the generation and
 * condense models (each inference profile with the foundation models it routes to), ApplyGuardrail
 * on the guardrail (and its cross-region profile). Nothing else in Bedrock.
 */
export function grantBedrockServing(
  role: iam.IRole,
  bedrock: BedrockAccess,
  options: { readonly streaming?: boolean } = {},
): void {
  const stack = Stack.of(role);
  const context = { partition: stack.partition, region: stack.region, account: stack.account };
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'EmbedQueries',
      actions: ['bedrock:InvokeModel'],
      resources: modelResourceArns(bedrock.embeddingModelId, context),
    }),
  );
  const generationModels = [bedrock.generationModelId, bedrock.condenseModelId ?? bedrock.generationModelId];
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'GenerateAnswers',
      // Converse needs InvokeModel, ConverseStream needs InvokeModelWithResponseStream.
      actions:
        options.streaming === false
          ? ['bedrock:InvokeModel']
          : ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
      resources: [...new Set(generationModels.flatMap((id) => modelResourceArns(id, context)))],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ApplyGuardrail',
      actions: ['bedrock:ApplyGuardrail'],
      resources: [
        guardrailArn(bedrock.guardrailId, context),
        ...(bedrock.guardrailProfile === undefined
          ? []
          : guardrailProfileArns(bedrock.guardrailProfile, context)),
      ],
    }),
  );
}

/** The environment that selects the cloud backends of a deployed stage (never a secret value). */
export function cloudEnvironment(bedrock: BedrockAccess, pinecone: PineconeAccess): Record<string, string> {
  return {
    [EnvVar.backend]: CLOUD_BACKEND,
    [EnvVar.embeddingModelId]: bedrock.embeddingModelId,
    [EnvVar.generationModelId]: bedrock.generationModelId,
    ...(bedrock.condenseModelId !== undefined && { [EnvVar.condenseModelId]: bedrock.condenseModelId }),
    [EnvVar.guardrailId]: bedrock.guardrailId,
    [EnvVar.guardrailVersion]: bedrock.guardrailVersion,
    [EnvVar.guardrailStreamMode]: bedrock.guardrailStreamMode ?? 'sync',
    [EnvVar.pineconeIndex]: pinecone.indexName,
    ...(pinecone.host !== undefined && { [EnvVar.pineconeHost]: pinecone.host }),
    [EnvVar.pineconeNamespace]: pinecone.namespace,
    // The secret's name, not its value: the function reads the key from Secrets Manager at start.
    [EnvVar.pineconeApiKeySecretId]: pinecone.apiKeySecret.secretName,
  };
}
