import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { modelResourceArns } from '../../../lib/config/bedrock-models.js';
import { parseStageConfig, type StageName } from '../../../lib/config/stages.js';
import { IngestionWorkflow } from '../../../lib/constructs/jobs/ingestion-workflow.js';
import { JobNotifications } from '../../../lib/constructs/jobs/job-notifications.js';
import {
  loadBatchJobConfig,
  loadIngestionJobConfig,
  loadRunReportConfig,
} from '../../../src/config/jobs-config.js';
import { loadServingConfig } from '../../../src/config/serving-config.js';
import {
  JOBS_TABLE_KEYS,
  JOBS_TTL_ATTRIBUTE,
  JobStep,
  JobsStackOutput,
  MANIFEST_KEY_PREFIX,
  RUN_KEY_PREFIX,
} from '../../../src/shared/jobs.js';
import {
  asList,
  flatten,
  logicalIdAt,
  producerValue,
  roleStatements,
  stageTemplates,
  withChange,
  type PolicyStatement,
} from '../support/stage-app.js';

type Resource = { Properties: Record<string, unknown> };
type Asl = { States: Record<string, AslState> };
interface AslState {
  Type: string;
  Next?: string;
  Catch?: { ErrorEquals: string[]; Next: string }[];
  MaxConcurrency?: number;
  ItemBatcher?: { MaxItemsPerBatch: number; BatchInput: Record<string, string> };
  ItemReader?: { Resource: string; Parameters: Record<string, string> };
  ItemProcessor?: Asl & { StartAt: string };
  Parameters?: { FunctionName: string; Payload: Record<string, unknown> };
}

const jobsTemplate = (stage: StageName) => stageTemplates(stage).jobs;
const one = (template: Template, type: string, pathSuffix: string): Resource =>
  template.findResources(type)[logicalIdAt(template, type, pathSuffix)] as Resource;
const aslOf = (template: Template, workflow: 'Ingestion' | 'Batch'): Asl =>
  JSON.parse(
    flatten(
      one(template, 'AWS::StepFunctions::StateMachine', `${workflow}/Run/StateMachine/Resource`).Properties
        .DefinitionString,
    ),
  ) as Asl;
const fnRef = (template: Template, name: string) =>
  `<GetAtt:${logicalIdAt(template, 'AWS::Lambda::Function', `${name}/Bundled/Function/Resource`)}.Arn>`;

/** Statements of a job function's role, with resources flattened to text and actions sorted. */
function statementsOf(template: Template, name: string) {
  return roleStatements(template, `${name}/Bundled/Role`).map(
    (s: PolicyStatement & { Condition?: unknown }) => ({
      sid: s.Sid,
      actions: asList(s.Action).sort(),
      resources: asList(s.Resource).map(flatten),
      ...(s.Condition !== undefined && { condition: s.Condition }),
    }),
  );
}

describe('Jobs stack', () => {
  it('keeps documents in a versioned, encrypted, private, TLS-only bucket with access logs and EventBridge events', () => {
    // Prepare
    const jobs = jobsTemplate('prod');
    const bucketId = logicalIdAt(jobs, 'AWS::S3::Bucket', 'Documents/Bucket/Resource');
    const logsId = logicalIdAt(jobs, 'AWS::S3::Bucket', 'Documents/AccessLogs/Resource');
    // Act
    const bucket = jobs.findResources('AWS::S3::Bucket')[bucketId]!;
    // Assess
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: logsId } },
    });
    jobs.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    const notifications = one(
      jobs,
      'Custom::S3BucketNotifications',
      'Documents/Bucket/Notifications/Resource',
    );
    expect(notifications.Properties.NotificationConfiguration).toMatchObject({
      EventBridgeConfiguration: {},
    });
  });

  it("queues the documents prefix's created and removed events, with a dead-letter queue, for the ingestion function", () => {
    // Prepare
    const jobs = jobsTemplate('prod');
    const { config } = stageTemplates('prod').built;
    const queueId = logicalIdAt(jobs, 'AWS::SQS::Queue', 'Events/Queue/Resource');
    const dlqId = logicalIdAt(jobs, 'AWS::SQS::Queue', 'Events/DeadLetterQueue/Resource');
    // Act
    const notifications = one(
      jobs,
      'Custom::S3BucketNotifications',
      'Documents/Bucket/Notifications/Resource',
    );
    // Assess
    expect(
      (notifications.Properties.NotificationConfiguration as { QueueConfigurations: unknown[] })
        .QueueConfigurations,
    ).toEqual(
      ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'].map((event) => ({
        Events: [event],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: config.jobs.documentsPrefix }] } },
        QueueArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      })),
    );
    jobs.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 3 },
      VisibilityTimeout: config.jobs.functionTimeoutSeconds * 6,
    });
    for (const id of [queueId, dlqId]) {
      jobs.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
    jobs.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: {
        Ref: logicalIdAt(jobs, 'AWS::Lambda::Function', 'IngestionWorker/Bundled/Function/Resource'),
      },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: config.jobs.eventConcurrency },
    });
  });

  it.each(['dev', 'prod'] as const)('schedules the full reconcile of %s from its stage config', (stage) => {
    // Prepare
    const jobs = jobsTemplate(stage);
    const { config } = stageTemplates(stage).built;
    // Act & Assess
    jobs.resourceCountIs('AWS::Scheduler::Schedule', 1);
    jobs.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: config.jobs.schedule,
      ScheduleExpressionTimezone: config.jobs.scheduleTimeZone,
      Target: {
        Arn: {
          Ref: logicalIdAt(jobs, 'AWS::StepFunctions::StateMachine', 'Ingestion/Run/StateMachine/Resource'),
        },
      },
    });
  });

  it("creates no schedule when the stage's is off", () => {
    // Prepare
    const stack = new Stack();
    const fn = lambda.Function.fromFunctionArn(
      stack,
      'Fn',
      'arn:aws:lambda:us-east-1:123456789012:function:f',
    );
    // Act
    new IngestionWorkflow(stack, 'Ingestion', {
      stateMachineName: 'ingestion',
      bucket: new s3.Bucket(stack, 'Bucket'),
      documentsPrefix: 'docs/',
      workPrefix: '.jobs/',
      worker: fn,
      report: fn,
      mapConcurrency: 3,
      documentsPerBatch: 10,
      schedule: 'off',
      scheduleTimeZone: 'UTC',
      logRetention: 7,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    });
    // Assess
    Template.fromStack(stack).resourceCountIs('AWS::Scheduler::Schedule', 0);
  });

  it.each(['dev', 'qa', 'prod'] as const)(
    "bounds both distributed maps of %s with the stage's concurrency",
    (stage) => {
      // Prepare
      const jobs = jobsTemplate(stage);
      const { config } = stageTemplates(stage).built;
      // Act
      const index = aslOf(jobs, 'Ingestion').States.IndexDocuments!;
      const answer = aslOf(jobs, 'Batch').States.AnswerRanges!;
      // Assess
      expect(index).toMatchObject({
        Type: 'Map',
        MaxConcurrency: config.jobs.mapConcurrency,
        ItemReader: {
          Resource: 'arn:<Ref:AWS::Partition>:states:::s3:listObjectsV2',
          Parameters: { Prefix: config.jobs.documentsPrefix },
        },
        ItemBatcher: {
          MaxItemsPerBatch: config.jobs.documentsPerBatch,
          BatchInput: { 'runId.$': '$$.Execution.Name' },
        },
      });
      expect(index.ItemProcessor?.States.IndexBatch?.Parameters).toEqual({
        FunctionName: fnRef(jobs, 'IngestionWorker'),
        Payload: { step: JobStep.indexDocuments, 'runId.$': '$.BatchInput.runId', 'items.$': '$.Items' },
      });
      expect(answer).toMatchObject({ Type: 'Map', MaxConcurrency: config.jobs.batchMapConcurrency });
      expect(answer.ItemReader?.Parameters).toMatchObject({ 'Key.$': '$.plan.planKey' });
    },
  );

  it('reports every run, succeeded or failed, and the report notifies the jobs topic', () => {
    // Prepare
    const jobs = jobsTemplate('prod');
    const report = fnRef(jobs, 'RunReport');
    const topicId = logicalIdAt(jobs, 'AWS::SNS::Topic', 'Notifications/Topic/Resource');
    for (const workflow of ['Ingestion', 'Batch'] as const) {
      // Act
      const { States } = aslOf(jobs, workflow);
      // Assess
      const work = Object.entries(States).filter(
        ([name, state]) => !/^Report|RunFailed/.test(name) && state.Type !== 'Fail',
      );
      expect(work.length).toBeGreaterThanOrEqual(2);
      for (const [, state] of work) {
        expect(state.Catch).toEqual([
          expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'ReportFailure' }),
        ]);
      }
      expect(work.at(-1)?.[1].Next).toBe('ReportSuccess');
      expect(States.ReportSuccess?.Parameters).toMatchObject({
        FunctionName: report,
        Payload: { status: 'SUCCEEDED' },
      });
      expect(States.ReportFailure?.Parameters).toMatchObject({
        FunctionName: report,
        Payload: { status: 'FAILED', 'error.$': '$.error' },
      });
      expect(States.ReportFailure?.Next).toBe('RunFailed');
      expect(States.RunFailed?.Type).toBe('Fail');
    }
    const reportFunction = one(jobs, 'AWS::Lambda::Function', 'RunReport/Bundled/Function/Resource');
    expect(
      (reportFunction.Properties.Environment as { Variables: Record<string, unknown> }).Variables
        .JOBS_TOPIC_ARN,
    ).toEqual({ Ref: topicId });
    const topic = one(jobs, 'AWS::SNS::Topic', 'Notifications/Topic/Resource');
    expect(topic.Properties).toMatchObject({
      TopicName: 'rag-serving-prod-jobs',
      KmsMasterKeyId: expect.anything(),
    });
  });

  it('subscribes the configured addresses to the run notifications', () => {
    // Prepare
    const stack = new Stack();
    // Act
    new JobNotifications(stack, 'Notifications', { emailSubscribers: ['ops@example.com'] });
    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it("raises alarms on a failed run of either job and on dead letters, to the stage's alarm topic", () => {
    // Prepare
    const { jobs, serving } = stageTemplates('prod');
    const alarmTopic = { Ref: logicalIdAt(serving, 'AWS::SNS::Topic', 'AlarmTopic/Topic/Resource') };
    // Act
    const alarms = Object.values(jobs.findResources('AWS::CloudWatch::Alarm')) as Resource[];
    // Assess
    expect(alarms.map((a) => a.Properties.AlarmName).sort()).toEqual([
      'rag-serving-prod-batch-answers-run-failed',
      'rag-serving-prod-ingestion-dead-letters',
      'rag-serving-prod-ingestion-run-failed',
    ]);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect((alarm.Properties.AlarmActions as unknown[]).map((a) => producerValue(serving, a))).toEqual([
        alarmTopic,
      ]);
    }
    const dlq = alarms.find((a) => a.Properties.AlarmName === 'rag-serving-prod-ingestion-dead-letters')!;
    expect(dlq.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: {
            'Fn::GetAtt': [
              logicalIdAt(jobs, 'AWS::SQS::Queue', 'Events/DeadLetterQueue/Resource'),
              'QueueName',
            ],
          },
        },
      ],
    });
    const failed = alarms.find((a) => a.Properties.AlarmName === 'rag-serving-prod-ingestion-run-failed')!;
    const machineId = logicalIdAt(
      jobs,
      'AWS::StepFunctions::StateMachine',
      'Ingestion/Run/StateMachine/Resource',
    );
    expect(failed.Properties.Metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          MetricStat: expect.objectContaining({
            Metric: {
              Namespace: 'AWS/States',
              MetricName: 'ExecutionsFailed',
              Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId } }],
            },
          }),
        }),
      ]),
    );
  });

  it('starts batch answers for .jsonl files created under the batch prefix only', () => {
    // Prepare
    const jobs = jobsTemplate('prod');
    const bucketId = logicalIdAt(jobs, 'AWS::S3::Bucket', 'Documents/Bucket/Resource');
    // Act & Assess
    jobs.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: bucketId }] }, object: { key: [{ wildcard: 'batch/*.jsonl' }] } },
      },
      Targets: [
        Match.objectLike({
          Arn: {
            Ref: logicalIdAt(jobs, 'AWS::StepFunctions::StateMachine', 'Batch/Run/StateMachine/Resource'),
          },
          InputTransformer: {
            InputPathsMap: {
              'detail-bucket-name': '$.detail.bucket.name',
              'detail-object-key': '$.detail.object.key',
            },
            InputTemplate: '{"bucket":<detail-bucket-name>,"key":<detail-object-key>}',
          },
        }),
      ],
    });
  });

  it('lets each job function do only its part', () => {
    // Prepare
    const { jobs, built } = stageTemplates('prod');
    const bucket = `<GetAtt:${logicalIdAt(jobs, 'AWS::S3::Bucket', 'Documents/Bucket/Resource')}.Arn>`;
    const arnContext = { partition: 'aws', region: 'us-east-1', account: '<Ref:AWS::AccountId>' };
    const leadingKeys = (...prefixes: string[]) => ({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((p) => `${p}*`) },
    });
    const xray = {
      sid: undefined,
      actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
      resources: ['*'],
    };
    const logs = expect.objectContaining({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'] });
    const secret = expect.objectContaining({
      actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
    });
    // Act
    const worker = statementsOf(jobs, 'IngestionWorker');
    const batch = statementsOf(jobs, 'BatchAnswers');
    const report = statementsOf(jobs, 'RunReport');
    // Assess
    expect(worker).toEqual(
      expect.arrayContaining([
        { sid: 'ReadDocuments', actions: ['s3:GetObject'], resources: [`${bucket}/docs/*`] },
        {
          sid: 'ListDocuments',
          actions: ['s3:ListBucket'],
          resources: [bucket],
          condition: { StringLike: { 's3:prefix': ['docs/*'] } },
        },
        expect.objectContaining({
          sid: 'ManifestAndRunCounts',
          actions: [
            'dynamodb:BatchGetItem',
            'dynamodb:BatchWriteItem',
            'dynamodb:Query',
            'dynamodb:UpdateItem',
          ],
          condition: leadingKeys(MANIFEST_KEY_PREFIX, RUN_KEY_PREFIX),
        }),
        {
          sid: 'EmbedDocuments',
          actions: ['bedrock:InvokeModel'],
          resources: modelResourceArns(built.config.models.embeddingModelId, arnContext).sort(),
        },
        secret,
      ]),
    );
    expect(
      worker
        .flatMap((s) => s.actions)
        .filter((a) => /s3:(Put|Delete)|bedrock:(Apply|InvokeModelWith)|sns:/.test(a)),
    ).toEqual([]);
    expect(batch).toEqual(
      expect.arrayContaining([
        {
          sid: 'ReadBatchFiles',
          actions: ['s3:GetObject'],
          resources: [`${bucket}/.jobs/batch/*`, `${bucket}/batch/*.jsonl`],
        },
        {
          sid: 'WriteAnswers',
          actions: ['s3:PutObject'],
          resources: [`${bucket}/.jobs/batch/*`, `${bucket}/batch/*.jsonl.out`],
        },
        { sid: 'RemoveParts', actions: ['s3:DeleteObject'], resources: [`${bucket}/.jobs/batch/*`] },
        expect.objectContaining({
          sid: 'SessionTurns',
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        }),
        expect.objectContaining({
          sid: 'RunCounts',
          actions: ['dynamodb:UpdateItem'],
          condition: leadingKeys(RUN_KEY_PREFIX),
        }),
        expect.objectContaining({ sid: 'ApplyGuardrail' }),
        secret,
      ]),
    );
    expect(report).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          sid: 'ReadRunCounts',
          actions: ['dynamodb:GetItem'],
          condition: leadingKeys(RUN_KEY_PREFIX),
        }),
        {
          sid: undefined,
          actions: ['sns:Publish'],
          resources: [`<Ref:${logicalIdAt(jobs, 'AWS::SNS::Topic', 'Notifications/Topic/Resource')}>`],
        },
      ]),
    );
    expect(
      report.flatMap((s) => s.actions).filter((a) => a.startsWith('s3:') || a.startsWith('bedrock:')),
    ).toEqual([]);
    // Wildcard resources: X-Ray (no resource-level permissions) and the object patterns above, nothing else.
    for (const statements of [worker, batch, report]) {
      expect(statements).toContainEqual(xray);
      expect(statements).toContainEqual(logs);
      const wild = statements.filter((s) => s !== xray && s.resources.some((r) => r === '*'));
      expect(
        wild.filter(
          (s) =>
            !s.actions.every((a) => a.startsWith('xray:')) && !s.actions.every((a) => a.startsWith('kms:')),
        ),
      ).toEqual([]);
    }
  });

  it('gives the job functions an environment their configuration loaders accept', () => {
    // Prepare
    const jobs = jobsTemplate('prod');
    const environmentOf = (name: string) => {
      const variables = (
        one(jobs, 'AWS::Lambda::Function', `${name}/Bundled/Function/Resource`).Properties.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      // Deployed, CloudFormation fills in names and the created guardrail's id and version;
      // any valid value stands in for them here.
      const deployed: Record<string, string> = {
        BEDROCK_GUARDRAIL_ID: 'abc123def456',
        BEDROCK_GUARDRAIL_VERSION: '1',
      };
      return Object.fromEntries(
        Object.entries(variables).map(([key, value]) => [
          key,
          typeof value === 'string' ? value : (deployed[key] ?? `resolved-${key.toLowerCase()}`),
        ]),
      );
    };
    // Act
    const ingestion = loadIngestionJobConfig(environmentOf('IngestionWorker'));
    const batch = loadBatchJobConfig(environmentOf('BatchAnswers'));
    const serving = loadServingConfig(environmentOf('BatchAnswers'));
    const report = loadRunReportConfig(environmentOf('RunReport'));
    // Assess
    expect(ingestion).toMatchObject({
      documentsPrefix: 'docs/',
      sourceName: 'docs',
      maxDocumentBytes: 10 * 1024 * 1024,
      pineconeIndexName: 'rag-serving-prod',
    });
    expect(batch).toMatchObject({
      batchPrefix: 'batch/',
      workPrefix: '.jobs/batch/',
      linesPerRange: 100,
      lineConcurrency: 8,
    });
    expect(serving.backends).toMatchObject({
      embedder: { kind: 'bedrock' },
      index: { kind: 'pinecone' },
      generator: { kind: 'bedrock' },
      guardrail: { kind: 'bedrock' },
    });
    expect(report.stage).toBe('prod');
  });

  it('outputs what `npm run ingest -- --stage` reads, the jobs table from the stateful stack', () => {
    // Prepare
    const { jobs, stateful } = stageTemplates('prod');
    // Act
    const outputs = Object.keys(jobs.toJSON().Outputs as object);
    // Assess
    const { jobsTable, pineconeHost, ...fromJobs } = JobsStackOutput;
    expect(outputs.sort()).toEqual(Object.values(fromJobs).sort());
    expect(Object.keys(stateful.toJSON().Outputs as object)).toContain(jobsTable);
    void pineconeHost;
    stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: JOBS_TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: JOBS_TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: JOBS_TTL_ATTRIBUTE, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('deploys after the serving stack, whose alarm topic it uses', () => {
    // Act
    const { jobs, serving } = stageTemplates('qa').built;
    // Assess
    expect(jobs.stackName).toBe('rag-serving-qa-jobs');
    expect(jobs.dependencies).toContain(serving);
  });

  it.each(['dev', 'qa', 'prod'] as const)(
    'acknowledges only the expected cdk-nag findings of the %s jobs stack',
    (stage) => {
      // Prepare
      const { app } = stageTemplates(stage).built;
      const jobs = jobsTemplate(stage);
      const id = (type: string, path: string) => logicalIdAt(jobs, type, path);
      const bucket = id('AWS::S3::Bucket', 'Documents/Bucket/Resource');
      const fn = (name: string) =>
        `<${id('AWS::Lambda::Function', `${name}/Bundled/Function/Resource`)}.Arn>:*`;
      const executions = (workflow: string) =>
        `arn:aws:states:us-east-1:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${id('AWS::StepFunctions::StateMachine', `${workflow}/Run/StateMachine/Resource`)}"}]}]}`;
      // Act
      const report = JSON.parse(
        readFileSync(join(app.synth().directory, 'validation-report.json'), 'utf8'),
      ) as {
        pluginReports: {
          pluginName: string;
          suppressedViolations?: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
        }[];
      };
      // Assess
      const acknowledged = new Set(
        (report.pluginReports.find((r) => r.pluginName === 'AwsSolutions')?.suppressedViolations ?? [])
          .filter((v) =>
            v.violatingConstructs.every((c) => c.constructPath.startsWith(`rag-serving-${stage}-jobs/`)),
          )
          .map((v) => v.ruleName),
      );
      const iam5 = (resource: string) => `AwsSolutions-IAM5[Resource::${resource}]`;
      expect([...acknowledged].sort()).toEqual(
        [
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
          iam5('*'),
          iam5(`<${bucket}.Arn>/docs/*`),
          iam5(`<${bucket}.Arn>/batch/*.jsonl`),
          iam5(`<${bucket}.Arn>/batch/*.jsonl.out`),
          iam5(`<${bucket}.Arn>/.jobs/batch/*`),
          iam5(`arn:<AWS::Partition>:s3:::<${bucket}>/*`),
          iam5(fn('IngestionWorker')),
          iam5(fn('BatchAnswers')),
          iam5(fn('RunReport')),
          ...['Ingestion', 'Batch'].flatMap((w) => [
            iam5(`${executions(w)}:*`),
            iam5(`${executions(w)}/*:*`),
          ]),
        ].sort(),
      );
    },
  );
});

describe('Stage config: jobs', () => {
  it.each([
    [
      ['jobs', 'schedule'],
      'every day',
      "jobs.schedule must be 'off', rate(<n> minutes|hours|days) or cron(<6 fields>)",
    ],
    [
      ['jobs', 'batchPrefix'],
      'docs/batch/',
      'jobs.batchPrefix must not contain or lie inside documentsPrefix',
    ],
    [['jobs', 'eventConcurrency'], 1, 'jobs.eventConcurrency must be at least 2'],
    [['jobs', 'documentsPrefix'], '/docs', 'jobs.documentsPrefix must be an S3 key prefix ending with /'],
  ] as const)('rejects %s = %j', (path, value, message) => {
    // Act & Assess
    expect(() => parseStageConfig(withChange('dev', path, value))).toThrow(message);
  });

  it('takes a cron schedule in a time zone and off', () => {
    // Act & Assess
    expect(parseStageConfig(withChange('prod', ['jobs', 'schedule'], 'off')).jobs.schedule).toBe('off');
    expect(
      parseStageConfig(withChange('prod', ['jobs', 'scheduleTimeZone'], 'Europe/Berlin')).jobs
        .scheduleTimeZone,
    ).toBe('Europe/Berlin');
    void Duration;
  });
});
