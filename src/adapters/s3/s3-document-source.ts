import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  DocumentGoneError,
  DocumentSourceError,
  isDocumentPath,
  type DocumentSource,
  type SourceEntry,
} from '../../ingest/documents/document-source.js';

export interface S3DocumentSourceOptions {
  readonly bucket: string;
  /** Key prefix of the documents (`docs/`); paths are keys without it. @default '' (the whole bucket) */
  readonly prefix?: string;
  /** @default new S3Client({}) */
  readonly client?: S3Client;
}

/** `s3://bucket/prefix/` as given on a command line, which names no bucket. */
export class InvalidS3LocationError extends Error {
  constructor(location: string) {
    super(`'${location}' is not an S3 location: write s3://<bucket>/<prefix>/, e.g. s3://my-docs/handbook/.`);
    this.name = new.target.name;
  }
}

/** Bucket and key prefix of `s3://bucket/prefix`; the prefix gets a trailing `/` when it has none. */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(location);
  if (!match) throw new InvalidS3LocationError(location);
  const prefix = match[2] ?? '';
  return {
    bucket: match[1] as string,
    prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
  };
}

/** S3 reports ETags in quotes, its event notifications without: versions compare without them. */
export const etagVersion = (etag: string | undefined): string => (etag ?? '').replaceAll('"', '');

/**
 * Documents under an S3 prefix. ListObjectsV2 returns keys in UTF-8 byte order a page (1,000 keys)
 * at a time, which is the order and the memory bound ingestion needs; the ETag is the version.
 */
export class S3DocumentSource implements DocumentSource {
  readonly description: string;
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly options: S3DocumentSourceOptions) {
    this.client = options.client ?? new S3Client({});
    this.prefix = options.prefix ?? '';
    this.description = `s3://${options.bucket}/${this.prefix}`;
  }

  async *list(abortSignal?: AbortSignal): AsyncGenerator<SourceEntry> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.options.bucket,
            Prefix: this.prefix,
            ...(token && { ContinuationToken: token }),
          }),
          { abortSignal },
        );
      } catch (error) {
        abortSignal?.throwIfAborted();
        throw new DocumentSourceError(
          `Cannot list ${this.description} (${(error as Error).name}): check the bucket name, its region and your permissions.`,
          { cause: error },
        );
      }
      for (const object of page.Contents ?? []) {
        const path = (object.Key ?? '').slice(this.prefix.length);
        if (!isDocumentPath(path)) continue;
        yield { path, size: object.Size ?? 0, version: etagVersion(object.ETag) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** The key of a document path, and the path of a key (undefined for keys outside the prefix). */
  keyOf(path: string): string {
    return `${this.prefix}${path}`;
  }

  pathOf(key: string): string | undefined {
    return key.startsWith(this.prefix) ? key.slice(this.prefix.length) : undefined;
  }

  async read(path: string, abortSignal?: AbortSignal): Promise<Uint8Array> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(path) }),
        { abortSignal },
      );
      if (!object.Body) throw new DocumentGoneError(path);
      return await object.Body.transformToByteArray();
    } catch (error) {
      if (error instanceof NoSuchKey) throw new DocumentGoneError(path, { cause: error });
      throw error;
    }
  }

  async stat(path: string, abortSignal?: AbortSignal): Promise<SourceEntry | undefined> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(path) }),
        { abortSignal },
      );
      return { path, size: head.ContentLength ?? 0, version: etagVersion(head.ETag) };
    } catch (error) {
      if (error instanceof NotFound || (error as Error).name === 'NotFound') return undefined;
      throw error;
    }
  }
}
