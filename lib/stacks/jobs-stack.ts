import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations, type CfnElement } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct, IConstruct } from 'constructs';
import { EnvVar } from '../../src/shared/env.js';
import {
  BATCH_INPUT_SUFFIX,
  BATCH_OUTPUT_SUFFIX,
  JobsEnvVar,
  JobsStackOutput,
  MANIFEST_KEY_PREFIX,
  RUN_KEY_PREFIX,
} from '../../src/shared/jobs.js';
import { serviceNameFor } from '../../src/shared/metrics.js';
import { modelResourceArns } from '../config/bedrock-models.js';
import type { StageConfig } from '../config/stages.js';
import {
  cloudEnvironment,
  grantBedrockServing,
  type BedrockAccess,
  type PineconeAccess,
} from '../constructs/bedrock-access.js';
import { BatchAnswersWorkflow } from '../constructs/jobs/batch-answers-workflow.js';
import { DocumentsBucket } from '../constructs/jobs/documents-bucket.js';
import { IngestionQueue } from '../constructs/jobs/ingestion-queue.js';
import { IngestionWorkflow } from '../constructs/jobs/ingestion-workflow.js';
import { JobAlarms } from '../constructs/jobs/job-alarms.js';
import { JobFunction } from '../constructs/jobs/job-function.js';
import { JobNotifications } from '../constructs/jobs/job-notifications.js';

const entry = (name: string) => fileURLToPath(new URL(`../../functions/${name}/handler.ts`, import.meta.url));

export interface JobsStackProps extends StackProps {
  readonly config: StageConfig;
  /** The jobs table of the stateful stack: manifests and run counters. */
  readonly jobsTable: dynamodb.ITable;
  /** The session table: batch files may name sessions, whose turns are stored like any other. */
  readonly sessionTable: dynamodb.ITable;
  readonly pineconeApiKey: secretsmanager.ISecret;
  /** The stage's alarm topic (serving stack): a failed run and dead letters raise alarms there. */
  readonly alarmTopic: sns.ITopic;
  /** The guardrail the serving stack applies (created there, or an existing one): batch answers apply it too. */
  readonly guardrail: { readonly id: string; readonly version: string };
}

/**
 * The Databricks Jobs analog of a stage (DESIGN 1): the documents bucket; its S3 events through
 * SQS (with a dead-letter queue) to the ingestion function, for incremental updates; the full
 * reconcile on a schedule or on demand, a Step Functions distributed map over the listing; batch
 * answers for JSON Lines files dropped under the batch prefix; a report and notification of every
 * run; alarms for failed runs and dead letters. Apart from the serving stack, so that the serving
 * path deploys and scales independently of the jobs.
 */
export class JobsStack extends Stack {
  readonly documents: DocumentsBucket;
  readonly ingestionQueue: IngestionQueue;
  readonly worker: JobFunction;
  readonly batchAnswers: JobFunction;
  readonly runReport: JobFunction;
  readonly ingestion: IngestionWorkflow;
  readonly batch: BatchAnswersWorkflow;
  readonly notifications: JobNotifications;
  readonly alarms: JobAlarms;

  constructor(scope: Construct, id: string, props: JobsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { jobs } = config;
    const name = `rag-serving-${config.stage}`;
    const removalPolicy =
      config.tables.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logs = { logRetention: config.logRetentionDays, logRemovalPolicy: removalPolicy };
    const functionSettings = {
      serviceName: serviceNameFor(config.stage),
      stage: config.stage,
      memorySize: jobs.functionMemoryMb,
      timeout: Duration.seconds(jobs.functionTimeoutSeconds),
      ...logs,
    };
    const bedrock: BedrockAccess = {
      embeddingModelId: config.models.embeddingModelId,
      generationModelId: config.models.generationModelId,
      ...(config.models.condenseModelId !== undefined && { condenseModelId: config.models.condenseModelId }),
      guardrailId: props.guardrail.id,
      guardrailVersion: props.guardrail.version,
      ...(config.guardrail.crossRegionProfile !== undefined && {
        guardrailProfile: config.guardrail.crossRegionProfile,
      }),
    };
    const pinecone: PineconeAccess = {
      indexName: config.pinecone.indexName,
      ...(config.pinecone.host !== undefined && { host: config.pinecone.host }),
      namespace: config.pinecone.namespace,
      apiKeySecret: props.pineconeApiKey,
    };

    this.documents = new DocumentsBucket(this, 'Documents');
    const { bucket, workPrefix } = this.documents;
    this.notifications = new JobNotifications(this, 'Notifications', {
      topicName: `${name}-jobs`,
      emailSubscribers: jobs.notificationEmails,
      keyRemovalPolicy: removalPolicy,
    });

    this.worker = new JobFunction(this, 'IngestionWorker', {
      ...functionSettings,
      entry: entry('ingestion'),
      description: `Indexes the documents in ${jobs.documentsPrefix} into Pinecone (S3 events and reconcile runs)`,
      roleDescription:
        'Ingestion worker: reads documents, embeds with Bedrock, keeps the manifest and run counts',
      environment: {
        [JobsEnvVar.documentsBucket]: bucket.bucketName,
        [JobsEnvVar.documentsPrefix]: jobs.documentsPrefix,
        [JobsEnvVar.ingestSource]: jobs.sourceName,
        [JobsEnvVar.maxDocumentBytes]: String(jobs.maxDocumentMb * 1024 * 1024),
        [JobsEnvVar.jobsTable]: props.jobsTable.tableName,
        [EnvVar.embeddingModelId]: config.models.embeddingModelId,
        ...pineconeEnvironment(pinecone),
      },
    });
    this.ingestionQueue = new IngestionQueue(this, 'Events', {
      bucket,
      documentsPrefix: jobs.documentsPrefix,
      consumerTimeout: functionSettings.timeout,
    });
    this.worker.function.addEventSource(
      new lambdaEvents.SqsEventSource(this.ingestionQueue.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
        maxConcurrency: jobs.eventConcurrency,
      }),
    );
    grantObjects(
      this.worker.role,
      bucket.bucketArn,
      'ReadDocuments',
      ['s3:GetObject'],
      [`${jobs.documentsPrefix}*`],
    );
    grantListing(this.worker.role, bucket.bucketArn, 'ListDocuments', [jobs.documentsPrefix]);
    grantJobsTable(
      this.worker.role,
      props.jobsTable,
      'ManifestAndRunCounts',
      [MANIFEST_KEY_PREFIX, RUN_KEY_PREFIX],
      ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    );
    this.worker.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EmbedDocuments',
        actions: ['bedrock:InvokeModel'],
        resources: modelResourceArns(config.models.embeddingModelId, {
          partition: this.partition,
          region: this.region,
          account: this.account,
        }),
      }),
    );
    props.pineconeApiKey.grantRead(this.worker.role);

    const batchWork = `${workPrefix}batch/`;
    this.batchAnswers = new JobFunction(this, 'BatchAnswers', {
      ...functionSettings,
      entry: entry('batch-answers'),
      description: `Answers the JSON Lines files dropped under ${jobs.batchPrefix} through the serving pipeline`,
      roleDescription:
        'Batch answers: reads batch files, answers with Bedrock and Pinecone, stores session turns',
      environment: {
        ...cloudEnvironment(bedrock, pinecone),
        [EnvVar.sessionTable]: props.sessionTable.tableName,
        [EnvVar.sessionTtlDays]: String(config.sessions.ttlDays),
        [EnvVar.requestTimeoutMs]: String(config.invocations.requestTimeoutMs),
        [JobsEnvVar.documentsBucket]: bucket.bucketName,
        [JobsEnvVar.batchPrefix]: jobs.batchPrefix,
        [JobsEnvVar.workPrefix]: batchWork,
        [JobsEnvVar.linesPerRange]: String(jobs.linesPerBatch),
        [JobsEnvVar.lineConcurrency]: String(jobs.lineConcurrency),
        [JobsEnvVar.jobsTable]: props.jobsTable.tableName,
      },
    });
    grantObjects(
      this.batchAnswers.role,
      bucket.bucketArn,
      'ReadBatchFiles',
      ['s3:GetObject'],
      [`${jobs.batchPrefix}*${BATCH_INPUT_SUFFIX}`, `${batchWork}*`],
    );
    grantObjects(
      this.batchAnswers.role,
      bucket.bucketArn,
      'WriteAnswers',
      ['s3:PutObject'],
      [`${jobs.batchPrefix}*${BATCH_INPUT_SUFFIX}${BATCH_OUTPUT_SUFFIX}`, `${batchWork}*`],
    );
    grantObjects(
      this.batchAnswers.role,
      bucket.bucketArn,
      'RemoveParts',
      ['s3:DeleteObject'],
      [`${batchWork}*`],
    );
    this.batchAnswers.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SessionTurns',
        // Claim, read and append turns; never erase (no DeleteItem or BatchWriteItem).
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
        resources: [props.sessionTable.tableArn],
      }),
    );
    grantJobsTable(
      this.batchAnswers.role,
      props.jobsTable,
      'RunCounts',
      [RUN_KEY_PREFIX],
      ['dynamodb:UpdateItem'],
    );
    grantBedrockServing(this.batchAnswers.role, bedrock);
    props.pineconeApiKey.grantRead(this.batchAnswers.role);

    this.runReport = new JobFunction(this, 'RunReport', {
      ...functionSettings,
      memorySize: 256,
      timeout: Duration.seconds(30),
      entry: entry('run-report'),
      description: 'Reports each job run: metrics, a log line and a notification on the jobs topic',
      roleDescription: 'Run report: reads run counts, publishes to the jobs topic',
      environment: {
        [JobsEnvVar.jobsTable]: props.jobsTable.tableName,
        [JobsEnvVar.jobsTopicArn]: this.notifications.topic.topicArn,
      },
    });
    grantJobsTable(
      this.runReport.role,
      props.jobsTable,
      'ReadRunCounts',
      [RUN_KEY_PREFIX],
      ['dynamodb:GetItem'],
    );
    this.notifications.topic.grantPublish(this.runReport.role);

    this.ingestion = new IngestionWorkflow(this, 'Ingestion', {
      stateMachineName: `${name}-ingestion`,
      bucket,
      documentsPrefix: jobs.documentsPrefix,
      workPrefix,
      worker: this.worker.function,
      report: this.runReport.function,
      mapConcurrency: jobs.mapConcurrency,
      documentsPerBatch: jobs.documentsPerBatch,
      schedule: jobs.schedule,
      scheduleTimeZone: jobs.scheduleTimeZone,
      ...logs,
    });
    this.batch = new BatchAnswersWorkflow(this, 'Batch', {
      stateMachineName: `${name}-batch-answers`,
      bucket,
      batchPrefix: jobs.batchPrefix,
      workPrefix: batchWork,
      batchFunction: this.batchAnswers.function,
      report: this.runReport.function,
      mapConcurrency: jobs.batchMapConcurrency,
      ...logs,
    });

    this.alarms = new JobAlarms(this, 'Alarms', {
      topic: props.alarmTopic,
      alarmNamePrefix: name,
      stateMachines: { ingestion: this.ingestion.stateMachine, 'batch-answers': this.batch.stateMachine },
      deadLetterQueue: this.ingestionQueue.deadLetterQueue,
      period: Duration.minutes(Math.max(config.alarms.periodMinutes, 5)),
    });

    const outputs: Record<string, { value: string; description: string }> = {
      [JobsStackOutput.documentsBucket]: { value: bucket.bucketName, description: 'Upload documents here' },
      [JobsStackOutput.documentsPrefix]: {
        value: jobs.documentsPrefix,
        description: 'Key prefix of the documents',
      },
      [JobsStackOutput.batchPrefix]: {
        value: jobs.batchPrefix,
        description: 'A .jsonl file here starts batch answers',
      },
      [JobsStackOutput.sourceName]: {
        value: jobs.sourceName,
        description: "Source name of the bucket's documents",
      },
      [JobsStackOutput.ingestionStateMachine]: {
        value: this.ingestion.stateMachine.stateMachineArn,
        description: 'Full reconcile (npm run ingest -- --stage <stage> --remote)',
      },
      [JobsStackOutput.batchStateMachine]: {
        value: this.batch.stateMachine.stateMachineArn,
        description: 'Batch answers runs',
      },
      [JobsStackOutput.jobsTopic]: {
        value: this.notifications.topic.topicArn,
        description: 'Run notifications; subscribe with aws sns subscribe',
      },
      [JobsStackOutput.embeddingModelId]: {
        value: config.models.embeddingModelId,
        description: 'Embedding model',
      },
      [JobsStackOutput.pineconeIndexName]: {
        value: config.pinecone.indexName,
        description: 'Pinecone index',
      },
      [JobsStackOutput.pineconeNamespace]: {
        value: config.pinecone.namespace,
        description: 'Default namespace',
      },
      [JobsStackOutput.pineconeApiKeySecret]: {
        value: props.pineconeApiKey.secretName,
        description: 'Secret holding the Pinecone API key',
      },
      ...(config.pinecone.host !== undefined && {
        [JobsStackOutput.pineconeHost]: { value: config.pinecone.host, description: 'Pinecone index host' },
      }),
    };
    for (const [key, output] of Object.entries(outputs)) new CfnOutput(this, key, output);

    acknowledgeFindings(this, props);
  }
}

function pineconeEnvironment(pinecone: PineconeAccess): Record<string, string> {
  return {
    [EnvVar.pineconeIndex]: pinecone.indexName,
    ...(pinecone.host !== undefined && { [EnvVar.pineconeHost]: pinecone.host }),
    [EnvVar.pineconeNamespace]: pinecone.namespace,
    [EnvVar.pineconeApiKeySecretId]: pinecone.apiKeySecret.secretName,
  };
}

/** Object actions on keys under the given patterns of the bucket, nothing else. */
function grantObjects(
  role: iam.IRole,
  bucketArn: string,
  sid: string,
  actions: string[],
  keys: string[],
): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid, actions, resources: keys.map((key) => `${bucketArn}/${key}`) }),
  );
}

/** ListBucket limited to key prefixes (the condition IAM offers for it). */
function grantListing(role: iam.IRole, bucketArn: string, sid: string, prefixes: string[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid,
      actions: ['s3:ListBucket'],
      resources: [bucketArn],
      conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
    }),
  );
}

/** Item actions on the jobs table, only on items whose partition key starts with the prefixes. */
function grantJobsTable(
  role: iam.IRole,
  table: dynamodb.ITable,
  sid: string,
  keyPrefixes: string[],
  actions: string[],
): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid,
      actions,
      resources: [table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keyPrefixes.map((prefix) => `${prefix}*`) },
      },
    }),
  );
}

/** cdk-nag findings this stack accepts, each with its reason (findings name resources by logical id). */
function acknowledgeFindings(stack: JobsStack, props: JobsStackProps): void {
  const { config } = props;
  const id = (construct: IConstruct): string =>
    stack.resolve((construct.node.defaultChild as CfnElement).logicalId) as string;
  const wildcard = (scope: IConstruct, resources: readonly string[], reason: string) => {
    for (const resource of resources)
      Validations.of(scope).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`,
        reason,
      });
  };
  const bucket = id(stack.documents.bucket);
  const batchWork = `${stack.documents.workPrefix}batch/`;

  wildcard(
    stack.worker.role,
    [`<${bucket}.Arn>/${config.jobs.documentsPrefix}*`],
    'The ingestion worker reads any document under the documents prefix (and only there); documents are named by users.',
  );
  wildcard(
    stack.batchAnswers.role,
    [
      `<${bucket}.Arn>/${config.jobs.batchPrefix}*${BATCH_INPUT_SUFFIX}`,
      `<${bucket}.Arn>/${config.jobs.batchPrefix}*${BATCH_INPUT_SUFFIX}${BATCH_OUTPUT_SUFFIX}`,
      `<${bucket}.Arn>/${batchWork}*`,
    ],
    'Batch answers reads any batch file, writes its answers beside it (<file>.jsonl.out only) and its own ' +
      'working files under the expiring work prefix; file names are chosen by users.',
  );
  Validations.of(stack.runReport.role).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    reason:
      "Publishing to the KMS-encrypted jobs topic needs GenerateDataKey on its key (SNS's documented grant, " +
      'scoped to that one key by Topic.grantPublish).',
  });
  for (const [workflow, functions] of [
    [stack.ingestion, [stack.worker, stack.runReport]],
    [stack.batch, [stack.batchAnswers, stack.runReport]],
  ] as const) {
    const machine = workflow.stateMachine;
    const machineId = id(machine);
    wildcard(
      machine,
      [
        '*',
        `arn:<AWS::Partition>:s3:::<${bucket}>/*`,
        ...functions.map((fn) => `<${id(fn.function)}.Arn>:*`),
      ],
      'Granted by CDK for a state machine with X-Ray and logging (xray:Put*, logs:*LogDelivery*, which take no ' +
        'resource), invoking its functions (any version), and a distributed map reading its items from and ' +
        'writing its results to the documents bucket (S3 item readers and result writers are granted per bucket).',
    );
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const executions = `arn:aws:states:${stack.region}:${account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machineId}"}]}]}`;
    wildcard(
      machine,
      [`${executions}:*`, `${executions}/*:*`],
      'A distributed map runs its batches as child executions of this state machine and must start, describe ' +
        'and stop them; their names are generated, so only the state machine part of the ARN is fixed.',
    );
  }
  const notificationsHandler = stack.node.tryFindChild(
    'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
  );
  if (notificationsHandler) {
    Validations.of(notificationsHandler).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "CDK's own custom resource that sets the bucket's event notifications at deploy time (it runs only then); " +
        'its role is defined by aws-cdk-lib.',
    });
  }
}
