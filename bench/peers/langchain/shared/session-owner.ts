import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HttpError } from './wire.js';

/** The session's metadata item: who owns it. One conditional write claims a new session. */
export async function claimSession(
  dynamo: DynamoDBClient,
  tableName: string,
  sessionId: string,
  principal: string,
): Promise<void> {
  try {
    await dynamo.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: `SESSION#${sessionId}` }, sk: { S: 'META' }, owner: { S: principal } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const { Item } = await dynamo.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: `SESSION#${sessionId}` }, sk: { S: 'META' } },
      }),
    );
    if (Item?.owner?.S !== principal) throw new HttpError(403, 'PERMISSION_DENIED', 'Not your session.');
  }
}
