import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Clock } from '../../core/ports/clock.js';
import { systemClock } from '../../core/ports/clock.js';
import { emptySecret, secretReadFailure } from './secret-errors.js';

/** Where the Pinecone API key comes from; read per call, cached by the implementation. */
export interface ApiKeySource {
  get(abortSignal?: AbortSignal): Promise<string>;
}

/** A key given directly: only for tests and local runs against fakes (RAG_BACKEND=fakes). */
export const fixedApiKey = (key: string): ApiKeySource => ({ get: async () => key });

export interface SecretsManagerApiKeyOptions {
  /** Name or ARN of the secret: the key itself, or JSON with an `apiKey` field. */
  readonly secretId: string;
  readonly client?: SecretsManagerClient;
  /** Read the secret again after this long, so a rotated key is picked up. @default 15 minutes */
  readonly refreshMs?: number;
  readonly clock?: Clock;
}

function keyFrom(secretId: string, secret: string | undefined): string {
  const text = secret?.trim() ?? '';
  if (text.startsWith('{')) {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw emptySecret(secretId);
    }
    const key = parsed.apiKey ?? parsed.api_key ?? parsed.PINECONE_API_KEY;
    if (typeof key === 'string' && key !== '') return key;
    throw emptySecret(secretId);
  }
  if (text === '') throw emptySecret(secretId);
  return text;
}

/**
 * The Pinecone API key from Secrets Manager, read once per container and cached across
 * invocations (refreshed after `refreshMs`). Concurrent first calls share one read; a failed read
 * is not cached, so the next request tries again.
 */
export class SecretsManagerApiKey implements ApiKeySource {
  private readonly client: SecretsManagerClient;
  private readonly refreshMs: number;
  private readonly clock: Clock;
  private cached: { key: Promise<string>; readAt: number } | undefined;

  constructor(private readonly options: SecretsManagerApiKeyOptions) {
    this.client = options.client ?? new SecretsManagerClient({});
    this.refreshMs = options.refreshMs ?? 15 * 60 * 1000;
    this.clock = options.clock ?? systemClock;
  }

  get(abortSignal?: AbortSignal): Promise<string> {
    const now = this.clock.now();
    if (this.cached && now - this.cached.readAt < this.refreshMs) return this.cached.key;
    const key = this.read(abortSignal);
    const entry = { key, readAt: now };
    this.cached = entry;
    key.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return key;
  }

  private async read(abortSignal?: AbortSignal): Promise<string> {
    const { secretId } = this.options;
    let response;
    try {
      response = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }), { abortSignal });
    } catch (error) {
      if (abortSignal?.aborted) throw abortSignal.reason ?? error;
      throw secretReadFailure(error, secretId);
    }
    return keyFrom(secretId, response.SecretString);
  }
}
