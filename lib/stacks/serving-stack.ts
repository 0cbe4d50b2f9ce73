import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stages.js';
import { AlarmTopic } from '../constructs/alarm-topic.js';
import { AskRagFunction } from '../constructs/ask-rag-function.js';
import { AuthorizerFunction } from '../constructs/authorizer-function.js';
import { CanaryDeployment } from '../constructs/canary-deployment.js';
import { PreTrafficHook } from '../constructs/pre-traffic-hook.js';
import { InvocationsFunction } from '../constructs/invocations-function.js';
import { ProvisionedScaling } from '../constructs/provisioned-scaling.js';
import { RagApi } from '../constructs/rag-api.js';
import { RequestFirewall } from '../constructs/request-firewall.js';
import { ServingAlarms } from '../constructs/serving-alarms.js';
import { ServingDashboard } from '../constructs/serving-dashboard.js';
import { ServingGuardrail } from '../constructs/serving-guardrail.js';
import { serviceNameFor } from '../../src/shared/metrics.js';
import { StackOutput, stackNamePrefix } from '../../src/shared/stack-outputs.js';

export interface ServingStackProps extends StackProps {
  readonly config: StageConfig;
  /** The session table of the stage's stateful stack. */
  readonly sessionTable: dynamodb.ITable;
  /** The token table (hashes) of the stateful stack, read by the authorizer. */
  readonly tokenTable: dynamodb.ITable;
  /** The usage counters of the stateful stack, for quotas. */
  readonly usageTable: dynamodb.ITable;
  /** The Pinecone API key secret referenced by the stateful stack. */
  readonly pineconeApiKey: secretsmanager.ISecret;
  /**
   * Version reported by `GET /version`.
   * @default - not set
   */
  readonly version?: string;
}

/**
 * The request path (DESIGN 1): REST API, authorizer, invocations function (on prod behind a `live`
 * alias with autoscaled provisioned concurrency, released by a CodeDeploy canary), alarms to the
 * stage's SNS topic, and the dashboard. Holds no data, so it can be redeployed or destroyed freely.
 */
export class ServingStack extends Stack {
  readonly invocations: InvocationsFunction;
  readonly authorizer: AuthorizerFunction;
  /** What API Gateway invokes: the `live` alias on stages with provisioned concurrency, else the function. */
  readonly servingTarget: lambda.IFunction;
  readonly scaling?: ProvisionedScaling;
  readonly canary?: CanaryDeployment;
  /** Checks a new version's backends before the canary sends it traffic (stages with an alias). */
  readonly preTrafficHook?: PreTrafficHook;
  readonly api: RagApi;
  readonly firewall?: RequestFirewall;
  readonly alarmTopic: AlarmTopic;
  readonly alarms: ServingAlarms;
  readonly dashboard: ServingDashboard;
  /** `ask_rag` for Redshift; absent when the stage turns it off (`sqlFunction.enabled: false`). */
  readonly askRag?: AskRagFunction;
  /** The guardrail the stack created from the stage's policies; absent with an existing guardrail. */
  readonly guardrail?: ServingGuardrail;
  /** The guardrail the functions apply: the one created here, or the stage's existing one. */
  readonly appliedGuardrail: { readonly id: string; readonly version: string };

  constructor(scope: Construct, id: string, props: ServingStackProps) {
    super(scope, id, props);
    const { config } = props;
    const name = stackNamePrefix(config.stage);
    const serviceName = serviceNameFor(config.stage);
    // Logs and the alarm key follow the data: kept where tables are kept, gone with a dev stage.
    const removalPolicy =
      config.tables.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    if (config.guardrail.create) {
      this.guardrail = new ServingGuardrail(this, 'Guardrail', {
        guardrailName: name,
        description: `rag-serving ${config.stage}: questions and answers of endpoint '${config.endpointName}'`,
        policies: config.guardrail.create,
        crossRegionProfile: config.guardrail.crossRegionProfile,
      });
    }
    // The stage config guarantees exactly one of create and existing.
    const guardrail = this.guardrail
      ? { id: this.guardrail.guardrailId, version: this.guardrail.guardrailVersion }
      : config.guardrail.existing!;
    this.appliedGuardrail = guardrail;

    const bedrock = {
      embeddingModelId: config.models.embeddingModelId,
      generationModelId: config.models.generationModelId,
      condenseModelId: config.models.condenseModelId,
      guardrailId: guardrail.id,
      guardrailVersion: guardrail.version,
      guardrailProfile: config.guardrail.crossRegionProfile,
      guardrailStreamMode: config.guardrail.streamMode,
    };
    const pinecone = {
      indexName: config.pinecone.indexName,
      host: config.pinecone.host,
      namespace: config.pinecone.namespace,
      apiKeySecret: props.pineconeApiKey,
    };
    // What every function running the pipeline gets: the same tables, quotas, models and index.
    const pipelineAccess = {
      serviceName,
      sessionTable: props.sessionTable,
      usageTable: props.usageTable,
      quotas: config.quotas,
      bedrock,
      pinecone,
    };
    this.invocations = new InvocationsFunction(this, 'Invocations', {
      ...pipelineAccess,
      tokenTable: props.tokenTable,
      endpointName: config.endpointName,
      sessionTtl: Duration.days(config.sessions.ttlDays),
      memorySize: config.invocations.memorySizeMb,
      timeout: Duration.seconds(config.invocations.timeoutSeconds),
      requestTimeout: Duration.millis(config.invocations.requestTimeoutMs),
      streamFirstByte: Duration.millis(config.invocations.streaming.firstByteMs),
      streamTimeout: Duration.millis(config.invocations.streaming.totalMs),
      logRetention: config.logRetentionDays,
      logRemovalPolicy: removalPolicy,
      version: props.version,
    });
    this.authorizer = new AuthorizerFunction(this, 'Authorizer', {
      serviceName,
      tokenTable: props.tokenTable,
      memorySize: config.authorizer.memorySizeMb,
      timeout: Duration.seconds(config.authorizer.timeoutSeconds),
      logRetention: config.logRetentionDays,
      logRemovalPolicy: removalPolicy,
    });

    const provisioned = config.invocations.provisionedConcurrency;
    if (provisioned) {
      this.scaling = new ProvisionedScaling(this, 'ProvisionedScaling', {
        function: this.invocations.function,
        minCapacity: provisioned.min,
        maxCapacity: provisioned.max,
        targetUtilization: provisioned.targetUtilization,
      });
    }
    // Dev and QA scale to zero: API Gateway invokes the function itself, nothing stays warm.
    this.servingTarget = this.scaling?.alias ?? this.invocations.function;

    this.api = new RagApi(this, 'Api', {
      handler: this.servingTarget,
      authorizer: this.authorizer.function,
      stageName: config.stage,
      description: `rag-serving ${config.stage}: Databricks Model Serving compatible API`,
      throttlingRateLimit: config.api.throttlingRateLimit,
      throttlingBurstLimit: config.api.throttlingBurstLimit,
      authorizerCacheTtl: Duration.seconds(config.authorizer.cacheTtlSeconds),
      integrationTimeout: Duration.seconds(config.invocations.timeoutSeconds),
      accessLogRetention: config.logRetentionDays,
      accessLogRemovalPolicy: removalPolicy,
      ...(config.api.customDomain && {
        customDomain: {
          domainName: config.api.customDomain.domainName,
          certificate: acm.Certificate.fromCertificateArn(
            this,
            'DomainCertificate',
            config.api.customDomain.certificateArn,
          ),
        },
      }),
    });
    if (config.api.firewall) {
      this.firewall = new RequestFirewall(this, 'Firewall', {
        stage: this.api.api.deploymentStage,
        metricPrefix: name,
      });
    } else {
      Validations.of(this.api.api.deploymentStage).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG3',
        reason:
          `Stage ${config.stage} has no WAF web ACL (api.firewall: false) to avoid its fixed monthly cost on a ` +
          'non-production stage: every data route needs a token checked by the authorizer, and stage throttling ' +
          'caps the request rate. Prod enables the firewall.',
      });
    }

    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      topicName: `${name}-alarms`,
      emailSubscribers: config.alarms.emailSubscribers,
      keyRemovalPolicy: removalPolicy,
    });
    this.alarms = new ServingAlarms(this, 'Alarms', {
      topic: this.alarmTopic.topic,
      invocationsFunction: this.invocations.function,
      authorizerFunction: this.authorizer.function,
      apiStage: this.api.api.deploymentStage,
      ...(this.scaling && { provisionedAlias: this.scaling.alias }),
      thresholds: config.alarms,
      alarmNamePrefix: name,
      serviceName,
      period: Duration.minutes(config.alarms.periodMinutes),
      evaluationPeriods: config.alarms.evaluationPeriods,
      datapointsToAlarm: config.alarms.datapointsToAlarm,
    });
    if (this.scaling) {
      this.preTrafficHook = new PreTrafficHook(this, 'PreTrafficHook', {
        target: this.invocations.function.currentVersion,
        logRetention: config.logRetentionDays,
        logRemovalPolicy: removalPolicy,
      });
      this.canary = new CanaryDeployment(this, 'Canary', {
        alias: this.scaling.alias,
        deploymentConfig: codedeploy.LambdaDeploymentConfig[config.invocations.deployment ?? 'ALL_AT_ONCE'],
        rollbackAlarms: this.alarms.deploymentAlarms,
        preTrafficHook: this.preTrafficHook.function,
      });
      Validations.of(this.canary).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.preTrafficHook.function.node.defaultChild as CfnElement)}.Arn>:*]`,
        reason:
          "CodeDeploy's role may invoke the pre-traffic hook function; the grant covers the function's versions " +
          '(`:*`) because CodeDeploy invokes whichever version is current. Nothing else is invoked.',
      });
      Validations.of(this.canary).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
        reason:
          "CodeDeploy's service role for Lambda deployments uses AWS's own scoped policy for exactly this purpose " +
          '(read and update aliases, read the alarms, invoke only functions named CodeDeployHook_*), kept current by AWS ' +
          'as CodeDeploy changes.',
      });
    }

    this.dashboard = new ServingDashboard(this, 'Dashboard', {
      dashboardName: name,
      title: `rag-serving ${config.stage}: endpoint '${config.endpointName}'`,
      invocationsFunction: this.invocations.function,
      invocationsLogGroup: this.invocations.logGroup,
      alarms: this.alarms.all,
      serviceName,
      period: Duration.minutes(Math.max(config.alarms.periodMinutes, 5)),
    });

    for (const role of [
      this.invocations.role,
      this.authorizer.role,
      ...(this.preTrafficHook ? [this.preTrafficHook.role] : []),
    ]) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords do not support ' +
          'resource-level permissions, so their only valid resource is *.',
      });
    }

    if (config.sqlFunction?.enabled !== false) {
      this.askRag = new AskRagFunction(this, 'AskRag', {
        ...pipelineAccess,
        sessionTtl: Duration.days(config.sessions.ttlDays),
        memorySize: config.invocations.memorySizeMb,
        rowTimeout: Duration.millis(config.invocations.requestTimeoutMs),
        logRetention: config.logRetentionDays,
        logRemovalPolicy: removalPolicy,
      });
      new CfnOutput(this, 'AskRagRedshiftRoleArn', {
        description:
          'IAM_ROLE of CREATE EXTERNAL FUNCTION ask_rag; associate it with the Redshift cluster or workgroup',
        value: this.askRag.redshiftRole.roleArn,
      });
      new CfnOutput(this, 'AskRagFunctionName', {
        description: 'LAMBDA of CREATE EXTERNAL FUNCTION ask_rag',
        value: this.askRag.function.functionName,
      });
    }
    const output = (key: string, value: string, description: string) =>
      new CfnOutput(this, key, { key, value, description });
    output(StackOutput.apiUrl, this.api.url, 'Base URL (DATABRICKS_HOST / RAG_URL)');
    output(
      StackOutput.invocationsUrl,
      `${this.api.url}serving-endpoints/${config.endpointName}/invocations`,
      'The Databricks Model Serving invocations URL of the endpoint',
    );
    output(
      StackOutput.endpointName,
      config.endpointName,
      'Endpoint name for serving_endpoints.query(name=...)',
    );
    output(
      StackOutput.alarmTopicArn,
      this.alarmTopic.topic.topicArn,
      'SNS topic of the stage alarms; subscribe with aws sns subscribe',
    );
    output(StackOutput.dashboardName, name, 'CloudWatch dashboard of the stage');
    output(
      StackOutput.dashboardUrl,
      `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${name}`,
      'CloudWatch dashboard of the stage, in the console',
    );
    output(
      StackOutput.servingFunctionArn,
      this.servingTarget.functionArn,
      'What API Gateway invokes (prod: the live alias); the readiness check invokes it directly',
    );
    if (this.api.domain) {
      output(
        StackOutput.customDomainTarget,
        this.api.domain.domainNameAliasDomainName,
        'Point a CNAME (or Route 53 alias) for the custom domain here',
      );
    }
  }
}
