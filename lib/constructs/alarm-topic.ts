import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /** Physical topic name, which alarm e-mails show. @default - generated */
  readonly topicName?: string;
  /** E-mail addresses to subscribe; each must confirm the subscription once. @default - none */
  readonly emailSubscribers?: readonly string[];
  /**
   * Removal policy of the topic's KMS key (a deleted key makes old messages unreadable).
   * @default RemovalPolicy.RETAIN
   */
  readonly keyRemovalPolicy?: RemovalPolicy;
}

/**
 * The one SNS topic per stage that every alarm notifies (DESIGN 5). Encrypted with a customer
 * managed KMS key, because CloudWatch alarms cannot publish to a topic encrypted with the
 * AWS-managed `alias/aws/sns` key (its key policy cannot be changed to let CloudWatch use it).
 * Publishing requires TLS; CloudWatch of this account may publish.
 */
export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    const { account, partition, region } = Stack.of(this);
    const fromOwnAlarms = {
      StringEquals: { 'aws:SourceAccount': account },
      ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
    };

    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the alarm topic; CloudWatch alarms of this account may use it',
      enableKeyRotation: true,
      removalPolicy: props.keyRemovalPolicy ?? RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(7),
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOwnAlarms,
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: props.topicName,
      masterKey: this.key,
      enforceSSL: true,
    });
    // enforceSSL writes an explicit topic policy, which replaces the default one that let CloudWatch publish.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOwnAlarms,
      }),
    );

    for (const email of props.emailSubscribers ?? []) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
  }
}
