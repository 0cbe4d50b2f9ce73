import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_ROUTES, type ApiRoute } from '../../src/shared/routes.js';
import { addDatabricksGatewayResponses } from './databricks-gateway-responses.js';

/**
 * What the authorizer accepts in `Authorization`: `Bearer <token>` or `Basic <base64>` (Databricks
 * style), scheme in any case. API Gateway answers 401 itself for anything else, without invoking
 * (and paying for) the authorizer; the authorizer code rejects the same headers, so the local
 * gateway, which does not apply this pattern, answers the same.
 */
export const AUTHORIZATION_HEADER_PATTERN =
  '^\\s*(?:[Bb][Ee][Aa][Rr][Ee][Rr]|[Bb][Aa][Ss][Ii][Cc])\\s+\\S+\\s*$';

/** Longest response stream API Gateway allows. */
const MAX_STREAMING_INTEGRATION_TIMEOUT = Duration.minutes(15);

/** One JSON line per request: who, what, outcome, timings. Never the Authorization header or a body. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTimeEpoch',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatencyMs: '$context.responseLatency',
  integrationStatus: '$context.integration.status',
  integrationLatencyMs: '$context.integration.latency',
  integrationError: '$context.integration.error',
  gatewayError: '$context.error.responseType',
  principal: '$context.authorizer.principalId',
  authorizerError: '$context.authorizer.error',
  authorizerLatencyMs: '$context.authorizer.integrationLatency',
  wafStatus: '$context.waf.status',
  xrayTraceId: '$context.xrayTraceId',
} as const;

export interface RagApiProps {
  /**
   * The function, or on prod its `live` alias, that serves every route. It is a streaming handler
   * (DESIGN 3), so every integration uses `ResponseTransferMode.STREAM`: a buffered invoke of a
   * streaming function returns the raw stream, which a buffered proxy integration cannot parse.
   */
  readonly handler: lambda.IFunction;
  /** The TOKEN authorizer function for routes with `authorized: true`. */
  readonly authorizer: lambda.IFunction;
  /** Stage name, the first path segment of the execute-api URL. */
  readonly stageName: string;
  /** Steady-state requests per second of the stage, over all clients. */
  readonly throttlingRateLimit: number;
  /** Burst bucket of the stage. */
  readonly throttlingBurstLimit: number;
  /**
   * How long API Gateway caches the authorizer's answer for a token. Short: a revoked token keeps
   * working until its cached policy expires.
   * @default Duration.seconds(60)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * How long API Gateway waits for the handler's response stream; at least the function timeout,
   * so that the handler's own 504 arrives before the gateway gives up.
   * @default Duration.seconds(30)
   */
  readonly integrationTimeout?: Duration;
  /** @default API_ROUTES, the list the local server is built from */
  readonly routes?: readonly ApiRoute[];
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly accessLogRemovalPolicy?: RemovalPolicy;
  /**
   * Serve the API at the root of a custom domain, mapped to this stage.
   * @default - execute-api URL only
   */
  readonly customDomain?: { readonly domainName: string; readonly certificate: acm.ICertificate };
  /** @default - none */
  readonly description?: string;
}

/**
 * The REST API of DESIGN 1 and 3: regional, the routes of `API_ROUTES` proxied with response
 * streaming to one function, a TOKEN authorizer on the authorized routes, Databricks-shaped gateway
 * responses, stage throttling, JSON access logs in a log group, X-Ray tracing. No account-wide
 * CloudWatch role here (`cloudWatchRole: false`): that role is shared by every API of the account
 * and region, so the app's account stack (lib/stacks/account-stack.ts) owns it.
 */
export class RagApi extends Construct {
  readonly api: apigw.RestApi;
  readonly accessLogs: logs.LogGroup;
  readonly tokenAuthorizer: apigw.TokenAuthorizer;
  readonly domain?: apigw.DomainName;
  /** `https://…/` base URL of the API (custom domain root, or execute-api URL with the stage path). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: RagApiProps) {
    super(scope, id);
    const integrationTimeout = props.integrationTimeout ?? Duration.seconds(30);
    if (integrationTimeout.toSeconds() > MAX_STREAMING_INTEGRATION_TIMEOUT.toSeconds()) {
      throw new Error(
        `integrationTimeout must be at most 15 minutes (API Gateway's limit for a response stream), got ${integrationTimeout.toHumanString()}`,
      );
    }
    const authorizerCacheTtl = props.authorizerCacheTtl ?? Duration.seconds(60);
    if (authorizerCacheTtl.toSeconds() > 3600) {
      throw new Error(
        `authorizerCacheTtl must be at most 3600 seconds, got ${authorizerCacheTtl.toSeconds()}`,
      );
    }

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.accessLogRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.api = new apigw.RestApi(this, 'Api', {
      description: props.description,
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      cloudWatchRole: false,
      failOnWarnings: true,
      deployOptions: {
        stageName: props.stageName,
        tracingEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    this.tokenAuthorizer = new apigw.TokenAuthorizer(this, 'TokenAuthorizer', {
      handler: props.authorizer,
      identitySource: apigw.IdentitySource.header('Authorization'),
      validationRegex: AUTHORIZATION_HEADER_PATTERN,
      resultsCacheTtl: authorizerCacheTtl,
    });

    // One integration and one API-wide invoke permission for all routes, instead of two per method.
    const integration = new apigw.LambdaIntegration(props.handler, {
      proxy: true,
      responseTransferMode: apigw.ResponseTransferMode.STREAM,
      timeout: integrationTimeout,
      scopePermissionToMethod: false,
    });
    for (const route of props.routes ?? API_ROUTES) {
      const method = this.api.root
        .resourceForPath(route.resource)
        .addMethod(
          route.method,
          integration,
          route.authorized
            ? { authorizer: this.tokenAuthorizer, authorizationType: apigw.AuthorizationType.CUSTOM }
            : { authorizationType: apigw.AuthorizationType.NONE },
        );
      acknowledgeMethodFindings(method, route);
    }

    addDatabricksGatewayResponses(this.api);

    if (props.customDomain) {
      this.domain = this.api.addDomainName('Domain', {
        domainName: props.customDomain.domainName,
        certificate: props.customDomain.certificate,
        endpointType: apigw.EndpointType.REGIONAL,
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      });
      this.url = `https://${props.customDomain.domainName}/`;
    } else {
      this.url = this.api.url;
    }

    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-APIG2',
        reason:
          'Bodies are validated by the handler against the Databricks wire protocol (DESIGN 3), which answers ' +
          '400 BAD_REQUEST or INVALID_PARAMETER_VALUE naming the field. Gateway validation would answer first with ' +
          'a generic message and make AWS differ from the local server, which runs the same handler.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-APIG6',
        reason:
          'Per-request JSON access logs are on (APIG1). Execution logging stays off: at INFO it would log ' +
          'request bodies, i.e. user prompts, and the handler logs one structured line per request itself.',
      },
    );
  }
}

/** The cdk-nag findings every method of this API raises by design, with why. */
function acknowledgeMethodFindings(method: apigw.Method, route: ApiRoute): void {
  if (route.authorized) {
    Validations.of(method).acknowledge({
      id: 'AwsSolutions::AwsSolutions-COG4',
      reason:
        'Callers are Databricks clients sending a bearer token (or Basic with user "token"), not Cognito users; ' +
        'the Lambda TOKEN authorizer checks the token against the hashes in the token table.',
    });
    return;
  }
  const reason =
    `${route.method} ${route.resource} is a liveness or version probe that Databricks clients and load balancers ` +
    'call without a token (DESIGN 3); it reveals no data and runs no model.';
  Validations.of(method).acknowledge(
    { id: 'AwsSolutions::AwsSolutions-APIG4', reason },
    { id: 'AwsSolutions::AwsSolutions-COG4', reason },
  );
}
