import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';

/** The principal the deep health check sees in a direct invoke: only IAM can make such a call. */
export const PRE_TRAFFIC_PRINCIPAL = 'codedeploy-pre-traffic-hook';

/**
 * The API Gateway proxy event of `GET /health?deep=true`, as the function gets it from the
 * gateway, with an admin principal in the authorizer context: a direct invoke is checked by IAM,
 * so nobody without `lambda:InvokeFunction` on the function can send it.
 */
export function deepHealthEvent(requestId: string): Record<string, unknown> {
  return {
    resource: '/health',
    path: '/health',
    httpMethod: 'GET',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: { deep: 'true' },
    multiValueQueryStringParameters: { deep: ['true'] },
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      requestId,
      resourcePath: '/health',
      httpMethod: 'GET',
      authorizer: { principalId: PRE_TRAFFIC_PRINCIPAL, scopes: 'admin' },
    },
  };
}

/** How the response of a streaming function arrives through a buffered Invoke. */
export interface StreamedInvokeResponse {
  readonly statusCode: number;
  readonly body: string;
}

const DELIMITER = Buffer.alloc(8);

/**
 * Splits the payload of a streaming HTTP function (`awslambda.HttpResponseStream`): a JSON prelude
 * with status and headers, eight NUL bytes, then the body. Without a prelude the body is the
 * whole payload, with status 200.
 */
export function parseStreamedPayload(payload: Uint8Array): StreamedInvokeResponse {
  const bytes = Buffer.from(payload);
  const end = bytes.indexOf(DELIMITER);
  if (end < 0) return { statusCode: 200, body: bytes.toString('utf8') };
  const prelude = JSON.parse(bytes.subarray(0, end).toString('utf8')) as { statusCode?: number };
  return {
    statusCode: prelude.statusCode ?? 200,
    body: bytes.subarray(end + DELIMITER.length).toString('utf8'),
  };
}

/** What the deep check of one function version said. */
export interface ReadinessVerdict {
  readonly ready: boolean;
  /** The check's own report, or why it could not run. */
  readonly report: string;
}

/**
 * Invokes a function version with `GET /health?deep=true` and judges its answer: ready only on a
 * 200 whose body says every backend answered. A crash, a timeout or any other answer is not ready.
 */
export async function checkVersionReadiness(
  client: LambdaClient,
  functionArn: string,
  requestId: string,
): Promise<ReadinessVerdict> {
  const response = await client.send(
    new InvokeCommand({ FunctionName: functionArn, Payload: JSON.stringify(deepHealthEvent(requestId)) }),
  );
  const payload = response.Payload ?? new Uint8Array();
  if (response.FunctionError) {
    return {
      ready: false,
      report: `the function failed (${response.FunctionError}): ${Buffer.from(payload).toString('utf8')}`,
    };
  }
  const { statusCode, body } = parseStreamedPayload(payload);
  let status: unknown;
  try {
    status = (JSON.parse(body) as { status?: unknown }).status;
  } catch {
    status = undefined;
  }
  return { ready: statusCode === 200 && status === 'ok', report: `${statusCode} ${body}` };
}
