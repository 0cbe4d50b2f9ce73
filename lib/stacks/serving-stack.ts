import { serviceNameFor } from '../../src/shared/metrics.js';
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stages.js';
import { AlarmTopic } from '../constructs/alarm-topic.js';
import { AuthorizerFunction } from '../constructs/authorizer-function.js';
import { CanaryDeployment } from '../constructs/canary-deployment.js';
import { InvocationsFunction } from '../constructs/invocations-function.js';
import { ProvisionedScaling } from '../constructs/provisioned-scaling.js';
import { RagApi } from '../constructs/rag-api.js';
import { RequestFirewall } from '../constructs/request-firewall.js';
import { ServingAlarms } from '../constructs/serving-alarms.js';
import { ServingDashboard } from '../constructs/serving-dashboard.js';

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
  readonly api: RagApi;
  readonly firewall?: RequestFirewall;
  readonly alarmTopic: AlarmTopic;
  readonly alarms: ServingAlarms;
  readonly dashboard: ServingDashboard;

  constructor(scope: Construct, id: string, props: ServingStackProps) {
    super(scope, id, props);
    const { config } = props;
    const name = `rag-serving-${config.stage}`;
    const serviceName = serviceNameFor(config.stage);
    // Logs and the alarm key follow the data: kept where tables are kept, gone with a dev stage.
    const removalPolicy =
      config.tables.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.invocations = new InvocationsFunction(this, 'Invocations', {
      serviceName,
      sessionTable: props.sessionTable,
      usageTable: props.usageTable,
      quotas: config.quotas,
      bedrock: {
        embeddingModelId: config.models.embeddingModelId,
        generationModelId: config.models.generationModelId,
        condenseModelId: config.models.condenseModelId,
        guardrailId: config.guardrail.id,
        guardrailVersion: config.guardrail.version,
        guardrailStreamMode: config.guardrail.streamMode,
      },
      pinecone: {
        indexName: config.pinecone.indexName,
        host: config.pinecone.host,
        namespace: config.pinecone.namespace,
        apiKeySecret: props.pineconeApiKey,
      },
      endpointName: config.endpointName,
      sessionTtl: Duration.days(config.sessions.ttlDays),
      memorySize: config.invocations.memorySizeMb,
      timeout: Duration.seconds(config.invocations.timeoutSeconds),
      requestTimeout: Duration.millis(config.invocations.requestTimeoutMs),
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
      thresholds: config.alarms,
      alarmNamePrefix: name,
      serviceName,
      period: Duration.minutes(config.alarms.periodMinutes),
      evaluationPeriods: config.alarms.evaluationPeriods,
      datapointsToAlarm: config.alarms.datapointsToAlarm,
    });
    if (this.scaling) {
      this.canary = new CanaryDeployment(this, 'Canary', {
        alias: this.scaling.alias,
        deploymentConfig: codedeploy.LambdaDeploymentConfig[config.invocations.deployment ?? 'ALL_AT_ONCE'],
        rollbackAlarms: this.alarms.deploymentAlarms,
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

    for (const role of [this.invocations.role, this.authorizer.role]) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords do not support ' +
          'resource-level permissions, so their only valid resource is *.',
      });
    }

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL (DATABRICKS_HOST / RAG_URL)',
      value: this.api.url,
    });
    new CfnOutput(this, 'InvocationsUrl', {
      description: 'The Databricks Model Serving invocations URL of the endpoint',
      value: `${this.api.url}serving-endpoints/${config.endpointName}/invocations`,
    });
    new CfnOutput(this, 'EndpointName', {
      description: 'Endpoint name for serving_endpoints.query(name=...)',
      value: config.endpointName,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic of the stage alarms; subscribe with aws sns subscribe',
      value: this.alarmTopic.topic.topicArn,
    });
    new CfnOutput(this, 'DashboardName', {
      description: 'CloudWatch dashboard of the stage',
      value: name,
    });
    if (this.api.domain) {
      new CfnOutput(this, 'CustomDomainTarget', {
        description: 'Point a CNAME (or Route 53 alias) for the custom domain here',
        value: this.api.domain.domainNameAliasDomainName,
      });
    }
  }
}
