import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface DocumentsBucketProps {
  /**
   * Key prefix of the jobs' own working files (batch plans and parts, map results), expired after a
   * week; keep it hidden (leading dot) so that it can never be mistaken for documents.
   * @default '.jobs/'
   */
  readonly workPrefix?: string;
  /** Days a replaced or deleted document's old version is kept. @default 30 */
  readonly noncurrentVersionDays?: number;
  /** Days the server access logs are kept. @default 90 */
  readonly accessLogDays?: number;
}

/**
 * The stage's documents bucket: what the ingestion job indexes and where batch files are dropped.
 * Versioned (an overwritten or deleted document can be restored for `noncurrentVersionDays`),
 * encrypted, public access blocked, TLS only, with server access logs in a bucket of their own and
 * EventBridge notifications on (batch files start their run through EventBridge). Both buckets are
 * retained when the stack is deleted: they hold the users' documents and their access history.
 */
export class DocumentsBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;
  readonly workPrefix: string;

  constructor(scope: Construct, id: string, props: DocumentsBucketProps = {}) {
    super(scope, id);
    this.workPrefix = props.workPrefix ?? '.jobs/';
    if (!/^\.[A-Za-z0-9_-]+\/$/.test(this.workPrefix)) {
      throw new Error(`workPrefix must be one hidden folder such as .jobs/, got '${this.workPrefix}'`);
    }
    const secure = {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    };
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...secure,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.accessLogDays ?? 90) }],
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...secure,
      versioned: true,
      eventBridgeEnabled: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'documents/',
      lifecycleRules: [
        {
          id: 'expire-old-versions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays ?? 30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        { id: 'expire-job-work', prefix: this.workPrefix, expiration: Duration.days(7) },
      ],
    });
  }
}
