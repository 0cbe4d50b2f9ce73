import { Pinecone } from '@pinecone-database/pinecone';
import { BackendUnavailableError } from '../../core/errors.js';
import type { IndexDescriber, IndexDescription } from '../../core/ports/index-description.js';
import { openDataPlane } from './data-plane.js';
import type { ApiKeySource } from './secret-api-key.js';

export interface PineconeIndexDescriberOptions {
  readonly apiKey: ApiKeySource;
  /** The index name: its dimension and metric come from the control plane (`describeIndex`). */
  readonly indexName?: string;
  /** The index host, when no name is known: the data plane's stats give the dimension only. */
  readonly host?: string;
  /** The control plane, e.g. a fake on 127.0.0.1. @default Pinecone's (https://api.pinecone.io) */
  readonly controllerHostUrl?: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /**
   * How long a description is reused: every batch of a reconcile checks the index before writing,
   * and the control plane is rate-limited. A failed look-up is never reused. @default 10 minutes
   */
  readonly reuseMs?: number;
}

/** Pinecone answered that the index does not exist, or refused the key: a setup error to fix. */
export class PineconeIndexNotFoundError extends Error {
  constructor(name: string, options: { cause: unknown }) {
    super(
      `Pinecone has no index '${name}' that this API key can see: create it, or fix the index name or key.`,
      options,
    );
    this.name = new.target.name;
  }
}

/**
 * Describes a Pinecone index for ingestion's check before its first write. Its own module, with
 * the SDK's main entry (control-plane client included): ingestion loads it, the serving path
 * never does. The SDK's data-plane stats drop the metric, so the control plane is asked whenever
 * the index name is known.
 */
export class PineconeIndexDescriber implements IndexDescriber {
  private described: { readonly at: number; readonly description: Promise<IndexDescription> } | undefined;

  constructor(private readonly options: PineconeIndexDescriberOptions) {}

  describe(abortSignal?: AbortSignal): Promise<IndexDescription> {
    const now = Date.now();
    if (this.described && now - this.described.at < (this.options.reuseMs ?? 10 * 60_000)) {
      return this.described.description;
    }
    const entry = { at: now, description: this.lookUp(abortSignal) };
    this.described = entry;
    entry.description.catch(() => {
      if (this.described === entry) this.described = undefined;
    });
    return entry.description;
  }

  private async lookUp(abortSignal: AbortSignal | undefined): Promise<IndexDescription> {
    const apiKey = await this.options.apiKey.get(abortSignal);
    const { indexName, host } = this.options;
    if (indexName !== undefined) {
      const client = new Pinecone({
        apiKey,
        ...(this.options.controllerHostUrl !== undefined && {
          controllerHostUrl: this.options.controllerHostUrl,
        }),
        ...(this.options.fetch && { fetchApi: this.options.fetch }),
      });
      try {
        const index = await client.describeIndex(indexName);
        return {
          name: indexName,
          ...(index.dimension !== undefined && { dimension: index.dimension }),
          ...(index.metric !== undefined && { metric: index.metric }),
        };
      } catch (error) {
        if (['PineconeNotFoundError', 'PineconeAuthorizationError'].includes((error as Error).name))
          throw new PineconeIndexNotFoundError(indexName, { cause: error });
        throw new BackendUnavailableError('Pinecone', { cause: error });
      }
    }
    if (host === undefined) throw new Error('PineconeIndexDescriber needs an indexName or a host.');
    try {
      const stats = await openDataPlane({
        host,
        apiKey,
        ...(this.options.fetch && { fetch: this.options.fetch }),
      }).describeIndexStats();
      return { name: host, ...(stats.dimension !== undefined && { dimension: stats.dimension }) };
    } catch (error) {
      throw new BackendUnavailableError('Pinecone', { cause: error });
    }
  }
}
