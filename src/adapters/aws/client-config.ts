/** Region and credentials for a client pointed at a local stand-in (fake, dynalite): never real ones. */
const LOCAL_REGION = 'us-east-1';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface AwsClientConfig {
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** True for http(s) URLs on the loopback interface, where only local stand-ins listen. */
export function isLoopbackEndpoint(endpoint: string): boolean {
  const { hostname } = new URL(endpoint);
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * Client settings for an optional endpoint override. A loopback endpoint (a fake in tests and
 * benchmarks) gets a region and dummy credentials, since SDK clients insist on both even there;
 * any other endpoint (e.g. a VPC endpoint) keeps the normal credential chain.
 */
export function awsClientConfig(options: { endpoint?: string; region?: string } = {}): AwsClientConfig {
  const { endpoint, region } = options;
  if (endpoint === undefined) return region === undefined ? {} : { region };
  if (!isLoopbackEndpoint(endpoint)) return { endpoint, ...(region !== undefined && { region }) };
  return { endpoint, region: region ?? LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
}
