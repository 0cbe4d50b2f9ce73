import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface JobNotificationsProps {
  /** Physical topic name, which the e-mails show. @default - generated */
  readonly topicName?: string;
  /** Addresses told about every run; each confirms its subscription once. @default - none */
  readonly emailSubscribers?: readonly string[];
  /** Removal policy of the topic's KMS key. @default RemovalPolicy.RETAIN */
  readonly keyRemovalPolicy?: RemovalPolicy;
}

/**
 * The topic each job run's outcome goes to, on success and on failure, as a Databricks job
 * notifies: kept apart from the stage's alarm topic, whose subscribers want to hear only when
 * something is wrong (a failed run also raises an alarm there). Encrypted with its own KMS key,
 * publishing over TLS only.
 */
export class JobNotifications extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: JobNotificationsProps = {}) {
    super(scope, id);
    const key = new kms.Key(this, 'Key', {
      description: 'Encrypts the job run notifications topic',
      enableKeyRotation: true,
      removalPolicy: props.keyRemovalPolicy ?? RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(7),
    });
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: props.topicName,
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of props.emailSubscribers ?? []) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
  }
}
