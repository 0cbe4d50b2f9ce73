import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface IngestionQueueProps {
  /** The documents bucket whose object-created and object-removed events the queue receives. */
  readonly bucket: s3.IBucket;
  /** Only keys under this prefix are documents. */
  readonly documentsPrefix: string;
  /** Timeout of the function consuming the queue; messages stay hidden six times as long (AWS's advice). */
  readonly consumerTimeout: Duration;
  /** Deliveries of a message before it moves to the dead-letter queue. @default 3 */
  readonly maxReceiveCount?: number;
}

/**
 * S3 events of the documents prefix (created, removed) in an SQS queue, so that a burst of uploads
 * waits for the ingestion function instead of overrunning Bedrock and Pinecone; messages that fail
 * `maxReceiveCount` times move to a dead-letter queue, whose depth raises an alarm. Both queues
 * are encrypted and refuse requests without TLS.
 */
export class IngestionQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: IngestionQueueProps) {
    super(scope, id);
    const secure = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true };
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...secure,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...secure,
      visibilityTimeout: Duration.seconds(Math.min(43_200, props.consumerTimeout.toSeconds() * 6)),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 3 },
    });
    const destination = new s3n.SqsDestination(this.queue);
    const filter = { prefix: props.documentsPrefix };
    props.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, destination, filter);
    props.bucket.addEventNotification(s3.EventType.OBJECT_REMOVED, destination, filter);
  }
}
