import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { awsClientConfig } from '../aws/client-config.js';

export interface BedrockClientOptions {
  /** An endpoint override, e.g. a fake Bedrock on 127.0.0.1. @default the regional endpoint */
  readonly endpoint?: string;
  /** @default the Lambda's region (AWS_REGION) */
  readonly region?: string;
  /**
   * Attempts per call, the first included. The SDK's standard strategy retries throttling and
   * transient errors with jittered exponential backoff, and stops at the request's abort signal.
   * @default 3
   */
  readonly maxAttempts?: number;
}

/**
 * The Bedrock runtime client, created once per container. It keeps the SDK's default HTTP/2
 * handler: connections are reused (keep-alive is the default), and a NodeHttpHandler would
 * silently drop it to HTTP/1.1.
 */
export function bedrockRuntimeClient(options: BedrockClientOptions = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    ...awsClientConfig(options),
    maxAttempts: options.maxAttempts ?? 3,
    retryMode: 'standard',
  });
}
