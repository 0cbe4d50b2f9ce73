import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { awsClientConfig } from '../aws/client-config.js';

export interface BedrockClientOptions {
  /** An endpoint override, e.g. a fake Bedrock on 127.0.0.1. @default the regional endpoint */
  readonly endpoint?: string;
  /** @default the Lambda's region (AWS_REGION) */
  readonly region?: string;
  /** Attempts per call, the first included. @default 3 */
  readonly maxAttempts?: number;
  /** The first retry waits up to this long, each later one up to twice as long. @default 200 */
  readonly retryBaseDelayMs?: number;
  /** No retry waits longer than this. @default 2000 */
  readonly retryMaxDelayMs?: number;
}

/**
 * Full-jitter exponential backoff: a random wait in [0, min(max, base · 2^(attempt-1))]. The SDK
 * retries throttling, transient and 5xx errors with it and stops waiting as soon as the call's
 * abort signal fires, so attempts end at the request's deadline.
 */
export function jitteredBackoff(baseMs: number, maxMs: number): (attempt: number) => number {
  return (attempt) => Math.random() * Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * The Bedrock runtime client, created once per container, on the SDK's HTTP/2 handler (a
 * NodeHttpHandler would drop it to HTTP/1.1). The Bedrock client alone defaults to
 * `disableConcurrentStreams: true`, a workaround of an old session bug (aws-sdk-js-v3 #3809, fixed
 * in @smithy/node-http-handler 4.6): every call then opened and closed an HTTP/2 session of its
 * own, a new TCP and TLS connection per embedding, guardrail check and answer. Concurrent streams
 * share one session instead; event streams (ConverseStream) still get a session each, as the SDK
 * requires.
 */
export function bedrockRuntimeClient(options: BedrockClientOptions = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    ...awsClientConfig(options),
    requestHandler: { disableConcurrentStreams: false },
    retryStrategy: new ConfiguredRetryStrategy(
      options.maxAttempts ?? 3,
      jitteredBackoff(options.retryBaseDelayMs ?? 200, options.retryMaxDelayMs ?? 2000),
    ),
  });
}
