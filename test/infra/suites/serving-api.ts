import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { AUTHORIZATION_HEADER_PATTERN, RagApi } from '../../../lib/constructs/rag-api.js';
import { integerAbovePattern } from '../../../lib/constructs/request-firewall.js';
import { tokenFromAuthorization } from '../../../src/auth/authenticate.js';
import {
  GATEWAY_RESPONSES,
  GATEWAY_RETRY_AFTER_SECONDS,
  type GatewayErrorResponse,
} from '../../../src/shared/gateway-responses.js';
import { Limits } from '../../../src/shared/limits.js';
import { API_ROUTES } from '../../../src/shared/routes.js';
import { flatten, logicalIdAt, stageTemplates } from '../support/stage-app.js';

type Resources = Record<string, { Properties: Record<string, unknown> }>;

/** `METHOD /path auth` for every method of the REST API, the path rebuilt from the resource tree. */
function routesOf(template: Template): string[] {
  const resources = template.findResources('AWS::ApiGateway::Resource') as Resources;
  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    if (id === undefined) return ''; // Fn::GetAtt RootResourceId
    const { ParentId, PathPart } = resources[id]!.Properties as { ParentId: unknown; PathPart: string };
    return `${pathOf(ParentId)}/${PathPart}`;
  };
  return Object.values(template.findResources('AWS::ApiGateway::Method') as Resources).map(
    ({ Properties: m }) => {
      const auth = m.AuthorizationType === 'CUSTOM' ? 'token' : 'public';
      return `${String(m.HttpMethod)} ${pathOf(m.ResourceId) || '/'} ${auth}`;
    },
  );
}

describe('Serving stack: REST API', () => {
  it('serves exactly the routes of API_ROUTES, the authorized ones behind the token authorizer', () => {
    // Prepare
    const { serving } = stageTemplates('dev');

    // Act
    const routes = routesOf(serving);

    // Assess
    const expected = API_ROUTES.map((r) => `${r.method} ${r.resource} ${r.authorized ? 'token' : 'public'}`);
    expect(routes.sort()).toEqual(expected.sort());
    const authorizerId = logicalIdAt(serving, 'AWS::ApiGateway::Authorizer', 'Api/TokenAuthorizer/Resource');
    for (const method of Object.values(serving.findResources('AWS::ApiGateway::Method') as Resources)) {
      if (method.Properties.AuthorizationType === 'CUSTOM') {
        expect(method.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
      }
    }
  });

  it('streams every integration from the one function, as a Lambda proxy', () => {
    // Prepare
    const { serving, built } = stageTemplates('qa');

    // Act
    const integrations = Object.values(serving.findResources('AWS::ApiGateway::Method') as Resources).map(
      (m) => m.Properties.Integration as Record<string, unknown>,
    );

    // Assess
    expect(integrations).toHaveLength(API_ROUTES.length);
    for (const integration of integrations) {
      expect(integration).toMatchObject({
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        ResponseTransferMode: 'STREAM',
        TimeoutInMillis: built.config.invocations.timeoutSeconds * 1000,
      });
      expect(flatten(integration.Uri)).toMatch(/\/response-streaming-invocations$/);
    }
  });

  it('throttles the stage from the config, traces it, and writes JSON access logs to its log group', () => {
    // Prepare
    const { serving, built } = stageTemplates('prod');
    const { api } = built.config;

    // Act
    const stage = Object.values(serving.findResources('AWS::ApiGateway::Stage') as Resources)[0]!.Properties;

    // Assess
    expect(stage).toMatchObject({
      StageName: 'prod',
      TracingEnabled: true,
      MethodSettings: [
        {
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: api.throttlingRateLimit,
          ThrottlingBurstLimit: api.throttlingBurstLimit,
        },
      ],
    });
    const accessLogs = stage.AccessLogSetting as { DestinationArn: unknown; Format: string };
    const logGroupId = logicalIdAt(serving, 'AWS::Logs::LogGroup', 'Api/AccessLogs/Resource');
    expect(flatten(accessLogs.DestinationArn)).toContain(`:log-group:<Ref:${logGroupId}>`);
    const format = JSON.parse(accessLogs.Format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      principal: '$context.authorizer.principalId',
    });
    expect(Object.values(format).join(' ')).not.toMatch(/authorization|body/i);
    // No account-wide CloudWatch role (cloudWatchRole: false), and a regional endpoint (streams idle up to 5 min).
    serving.resourceCountIs('AWS::ApiGateway::Account', 0);
    serving.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  it('checks tokens with a TOKEN authorizer on the Authorization header, cached for the configured time', () => {
    // Prepare
    const { serving, built } = stageTemplates('qa');
    const authorizerFunction = logicalIdAt(
      serving,
      'AWS::Lambda::Function',
      'Authorizer/Bundled/Function/Resource',
    );

    // Act
    const authorizer = Object.values(serving.findResources('AWS::ApiGateway::Authorizer') as Resources)[0]!;

    // Assess
    expect(authorizer.Properties).toMatchObject({
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: built.config.authorizer.cacheTtlSeconds,
      IdentityValidationExpression: AUTHORIZATION_HEADER_PATTERN,
    });
    expect(flatten(authorizer.Properties.AuthorizerUri)).toContain(
      `<GetAtt:${authorizerFunction}.Arn>/invocations`,
    );
  });

  it('lets through exactly the Authorization headers the authorizer code can read a token from', () => {
    // Prepare
    const pattern = new RegExp(AUTHORIZATION_HEADER_PATTERN);
    const basic = (user: string) => `Basic ${Buffer.from(`${user}:dapi0123`).toString('base64')}`;
    const headers = [
      'Bearer dapi0123',
      'bearer dapi0123',
      'BEARER x',
      basic('token'),
      'Token dapi0123',
      'Bearer',
      'dapi0123',
      '',
      '   Bearer   dapi0123  ',
    ];

    // Act
    const passes = headers.map((h) => pattern.test(h));

    // Assess
    expect(passes).toEqual(headers.map((h) => tokenFromAuthorization(h) !== undefined));
    expect(passes).toEqual([true, true, true, true, false, false, false, false, true]);
  });

  it('answers the gateway errors in the Databricks shape with the request id, and Retry-After where retrying helps', () => {
    // Prepare
    const { serving } = stageTemplates('dev');

    // Act
    const responses = Object.values(
      serving.findResources('AWS::ApiGateway::GatewayResponse') as Resources,
    ).map(
      (r) =>
        r.Properties as {
          ResponseType: string;
          StatusCode: string;
          ResponseParameters: Record<string, string>;
          ResponseTemplates: Record<string, string>;
        },
    );

    // Assess
    expect(responses.map((r) => r.ResponseType).sort()).toEqual(Object.keys(GATEWAY_RESPONSES).sort());
    for (const response of responses) {
      const type = response.ResponseType as keyof typeof GATEWAY_RESPONSES;
      const expected: GatewayErrorResponse = GATEWAY_RESPONSES[type];
      expect(response.StatusCode).toBe(expected.preserveStatus ? undefined : String(expected.status));
      expect(JSON.parse(response.ResponseTemplates['application/json']!)).toEqual({
        error_code: expected.errorCode,
        message: expected.message,
        request_id: '$context.requestId',
      });
      const retryAfter = GATEWAY_RETRY_AFTER_SECONDS[type];
      expect(response.ResponseParameters).toEqual({
        'gatewayresponse.header.content-type': "'application/json'",
        'gatewayresponse.header.cache-control': "'no-store'",
        'gatewayresponse.header.x-request-id': 'context.requestId',
        ...(retryAfter !== undefined && { 'gatewayresponse.header.retry-after': `'${retryAfter}'` }),
      });
    }
    expect(responses.find((r) => r.ResponseType === 'DEFAULT_4XX')?.StatusCode).toBeUndefined();
    const throttled = responses.find((r) => r.ResponseType === 'THROTTLED');
    expect(throttled?.StatusCode).toBe('429');
    expect(throttled?.ResponseParameters['gatewayresponse.header.retry-after']).toBe("'1'");
  });

  it('outputs the API URL, the invocations URL, the tables, the alarm topic and the dashboard under stable names', () => {
    // Prepare
    const { serving, stateful, built } = stageTemplates('qa');

    // Act
    const outputs = serving.toJSON().Outputs as Record<string, { Value: unknown }>;
    const tableOutputs = stateful.toJSON().Outputs as Record<string, { Value: unknown }>;

    // Assess
    const apiId = logicalIdAt(serving, 'AWS::ApiGateway::RestApi', 'Api/Api/Resource');
    const base = flatten(outputs.ApiUrl!.Value);
    expect(base).toMatch(
      new RegExp(`^https://<Ref:${apiId}>\\.execute-api\\.us-east-1\\.<Ref:AWS::URLSuffix>/<Ref:.*>/$`),
    );
    expect(flatten(outputs.InvocationsUrl!.Value)).toBe(
      `${base}serving-endpoints/${built.config.endpointName}/invocations`,
    );
    expect(outputs.EndpointName!.Value).toBe(built.config.endpointName);
    expect(outputs.AlarmTopicArn!.Value).toEqual({
      Ref: logicalIdAt(serving, 'AWS::SNS::Topic', 'AlarmTopic/Topic/Resource'),
    });
    expect(outputs.DashboardName!.Value).toBe('rag-serving-qa');
    expect(flatten(outputs.DashboardUrl!.Value)).toBe(
      'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=rag-serving-qa',
    );
    const tableId = (name: string) => logicalIdAt(stateful, 'AWS::DynamoDB::Table', `${name}/Table/Resource`);
    expect(tableOutputs.TokenTableName!.Value).toEqual({ Ref: tableId('Tokens') });
    expect(tableOutputs.SessionTableName!.Value).toEqual({ Ref: tableId('Sessions') });
  });

  it('serves the API at the root of a custom domain when one is given', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Domain', { env: { region: 'us-east-1', account: '123456789012' } });
    const handler = new lambda.Function(stack, 'Handler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => {};'),
    });
    const certificate = acm.Certificate.fromCertificateArn(
      stack,
      'Certificate',
      'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
    );

    // Act
    const api = new RagApi(stack, 'Api', {
      handler,
      authorizer: handler,
      stageName: 'prod',
      throttlingRateLimit: 10,
      throttlingBurstLimit: 20,
      customDomain: { domainName: 'rag.example.com', certificate },
    });

    // Assess
    expect(api.url).toBe('https://rag.example.com/');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'rag.example.com',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
    });
    // Mapped at the root: no base path, so `https://rag.example.com/serving-endpoints/...` works.
    template.hasResourceProperties('AWS::ApiGateway::BasePathMapping', {
      BasePath: Match.absent(),
      Stage: { Ref: Match.stringLikeRegexp('DeploymentStageprod') },
    });
  });
});

describe('Serving stack: firewall', () => {
  it('puts a web ACL on the prod stage that answers 413 for a declared body over the limit', () => {
    // Prepare
    const { serving } = stageTemplates('prod');
    const stageId = logicalIdAt(serving, 'AWS::ApiGateway::Stage', 'Api/Api/DeploymentStage.prod/Resource');

    // Act
    const acl = Object.values(serving.findResources('AWS::WAFv2::WebACL') as Resources)[0]!.Properties as {
      Scope: string;
      Rules: { Name: string; Action?: unknown; Statement: Record<string, unknown> }[];
      CustomResponseBodies: Record<string, { Content: string }>;
    };

    // Assess
    expect(acl.Scope).toBe('REGIONAL');
    const sizeRule = acl.Rules.find((r) => r.Name === 'DeclaredBodyOverLimit')!;
    expect(sizeRule.Action).toEqual({
      Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'body-too-large' } },
    });
    expect(sizeRule.Statement.RegexMatchStatement).toMatchObject({
      FieldToMatch: { SingleHeader: { Name: 'content-length' } },
      RegexString: integerAbovePattern(Limits.maxBodyBytes),
    });
    expect(JSON.parse(acl.CustomResponseBodies['body-too-large']!.Content)).toEqual({
      error_code: GATEWAY_RESPONSES.REQUEST_TOO_LARGE.errorCode,
      message: GATEWAY_RESPONSES.REQUEST_TOO_LARGE.message,
    });
    const association = Object.values(
      serving.findResources('AWS::WAFv2::WebACLAssociation') as Resources,
    )[0]!;
    expect(flatten(association.Properties.ResourceArn)).toContain(`/stages/<Ref:${stageId}>`);
  });

  it.each(['dev', 'qa'] as const)('leaves %s without a web ACL', (stage) => {
    // Prepare
    const { serving } = stageTemplates(stage);

    // Act
    const acls = serving.findResources('AWS::WAFv2::WebACL');

    // Assess
    expect(Object.keys(acls)).toEqual([]);
  });

  it('matches exactly the declared lengths above the limit', () => {
    // Prepare
    const limit = Limits.maxBodyBytes;
    const pattern = new RegExp(integerAbovePattern(limit));
    const lengths = [
      0,
      1,
      9,
      10,
      limit - 1,
      limit,
      limit + 1,
      limit + 9,
      limit + 10,
      9_999_999,
      10_485_760,
      123_456_789,
    ];

    // Act
    const matched = lengths.map((n) => pattern.test(String(n)));

    // Assess
    expect(matched).toEqual(lengths.map((n) => n > limit));
    expect(pattern.test(`000${limit + 1}`)).toBe(true);
    expect(pattern.test(`${limit}0`)).toBe(true);
    expect(pattern.test('6 MB')).toBe(false);
  });

  it('matches integers above small and round limits', () => {
    // Prepare
    const limits = [0, 9, 10, 99, 100, 1999, 2000];

    // Act
    const mismatches = limits.flatMap((limit) => {
      const pattern = new RegExp(integerAbovePattern(limit));
      return Array.from({ length: 2100 }, (_, n) => n).filter((n) => pattern.test(String(n)) !== n > limit);
    });

    // Assess
    expect(mismatches).toEqual([]);
  });
});
