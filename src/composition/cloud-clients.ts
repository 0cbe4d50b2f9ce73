import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { BackendsConfig } from '../config/backends-config.js';

/**
 * SDK clients shared by the adapters of one container, created on first use and then reused:
 * every Bedrock port talks through one client (one HTTP/2 connection pool).
 */
export class CloudClients {
  private bedrock: Promise<BedrockRuntimeClient> | undefined;

  constructor(private readonly config: BackendsConfig) {}

  bedrockRuntime(): Promise<BedrockRuntimeClient> {
    this.bedrock ??= import('../adapters/bedrock/bedrock-client.js').then(({ bedrockRuntimeClient }) =>
      bedrockRuntimeClient(this.config.bedrock),
    );
    return this.bedrock;
  }
}
