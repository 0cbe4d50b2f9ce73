import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * A DynamoDB client for an endpoint: AWS's own when none is given, otherwise a local one
 * (dynalite, DynamoDB Local), which still needs a region and credentials: dummy ones.
 */
export function dynamoClientForEndpoint(endpoint: string | undefined): DynamoDBClient {
  if (endpoint === undefined) return new DynamoDBClient({});
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}
