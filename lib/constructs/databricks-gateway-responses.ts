import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { REQUEST_ID_HEADER } from '../../src/http/response-headers.js';
import {
  GATEWAY_RESPONSES,
  GATEWAY_RETRY_AFTER_SECONDS,
  type GatewayErrorResponse,
  type GatewayResponseType,
} from '../../src/shared/gateway-responses.js';

/** API Gateway's request id, as a mapping template and as a header mapping expression. */
const REQUEST_ID_TEMPLATE = '$context.requestId';
const REQUEST_ID_EXPRESSION = 'context.requestId';

/**
 * The customized gateway response for one type of `GATEWAY_RESPONSES`: the Databricks status and
 * `{"error_code", "message", "request_id"}` body that the local gateway answers too, with
 * `x-request-id` and, where the table says so, `Retry-After`.
 */
export function databricksGatewayResponse(
  type: GatewayResponseType,
): Omit<apigw.GatewayResponseOptions, 'type'> {
  const response: GatewayErrorResponse = GATEWAY_RESPONSES[type];
  const { status, errorCode, message } = response;
  if (/[$#\\]/.test(message)) {
    // The body is a Velocity template: `$` and `#` would be evaluated, not printed.
    throw new Error(`Gateway response message for ${type} must not contain $, # or \\: '${message}'`);
  }
  const retryAfter = GATEWAY_RETRY_AFTER_SECONDS[type];
  const body = JSON.stringify({ error_code: errorCode, message, request_id: REQUEST_ID_TEMPLATE });
  return {
    ...(!response.preserveStatus && { statusCode: String(status) }),
    responseHeaders: {
      // Header values are mapping expressions: quoted literals, or a context variable.
      'content-type': "'application/json'",
      'cache-control': "'no-store'",
      [REQUEST_ID_HEADER]: REQUEST_ID_EXPRESSION,
      ...(retryAfter !== undefined && { 'retry-after': `'${retryAfter}'` }),
    },
    templates: { 'application/json': body },
  };
}

/** Customizes every response type of `GATEWAY_RESPONSES` on `api`. */
export function addDatabricksGatewayResponses(api: apigw.RestApi): void {
  for (const type of Object.keys(GATEWAY_RESPONSES) as GatewayResponseType[]) {
    api.addGatewayResponse(`GatewayResponse${pascalCase(type)}`, {
      type: apigw.ResponseType.of(type),
      ...databricksGatewayResponse(type),
    });
  }
}

const pascalCase = (type: string) =>
  type
    .toLowerCase()
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
