import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { GATEWAY_RESPONSES } from '../../src/shared/gateway-responses.js';
import { Limits } from '../../src/shared/limits.js';

export interface RequestFirewallProps {
  /** The API stage to protect. */
  readonly stage: apigw.Stage;
  /** Prefix of the web ACL's CloudWatch metric names. */
  readonly metricPrefix: string;
  /**
   * Requests whose `Content-Length` declares more bytes than this are answered 413 at the edge.
   * @default Limits.maxBodyBytes (6 MB, Lambda's payload limit)
   */
  readonly maxBodyBytes?: number;
}

const OVERSIZE_BODY_KEY = 'body-too-large';

/**
 * A regional AWS WAF web ACL on the API stage. It closes the gap between Lambda's 6 MB payload
 * limit and API Gateway's fixed 10 MB one: a body between the two would fail the Lambda invoke and
 * reach the client as a retryable 5xx, so a declared body over the limit gets the same 413
 * `BAD_REQUEST` the handler answers, before authorization runs. (A chunked body declares no
 * length; the handler still refuses it.) Also AWS's IP reputation and known-bad-input rule groups,
 * none of which inspect body size or content shape, so valid Databricks requests pass.
 */
export class RequestFirewall extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: RequestFirewallProps) {
    super(scope, id);
    const maxBodyBytes = props.maxBodyBytes ?? Limits.maxBodyBytes;
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${props.metricPrefix}-${name}`,
      sampledRequestsEnabled: true,
    });
    const managed = (name: string, priority: number): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: visibility(name),
    });
    const tooLarge = GATEWAY_RESPONSES.REQUEST_TOO_LARGE;

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('web-acl'),
      customResponseBodies: {
        [OVERSIZE_BODY_KEY]: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({ error_code: tooLarge.errorCode, message: tooLarge.message }),
        },
      },
      rules: [
        {
          name: 'DeclaredBodyOverLimit',
          priority: 0,
          action: {
            block: {
              customResponse: { responseCode: tooLarge.status, customResponseBodyKey: OVERSIZE_BODY_KEY },
            },
          },
          statement: {
            regexMatchStatement: {
              fieldToMatch: { singleHeader: { Name: 'content-length' } },
              regexString: integerAbovePattern(maxBodyBytes),
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          visibilityConfig: visibility('declared-body-over-limit'),
        },
        managed('AWSManagedRulesAmazonIpReputationList', 1),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 2),
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}

/**
 * A regular expression matching exactly the decimal integers greater than `limit` (leading zeros
 * allowed), since WAF compares header values as text, not numbers.
 */
export function integerAbovePattern(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new Error(`limit must be a non-negative safe integer, got ${limit}`);
  }
  const digits = String(limit);
  const longer = `[1-9]\\d{${digits.length},}`;
  const sameLength: string[] = [];
  for (let i = 0; i < digits.length; i++) {
    const digit = Number(digits[i]);
    if (digit === 9) continue;
    const rest = digits.length - i - 1;
    const higher = digit + 1 === 9 ? '9' : `[${digit + 1}-9]`;
    sameLength.push(`${digits.slice(0, i)}${higher}${rest > 0 ? `\\d{${rest}}` : ''}`);
  }
  return `^0*(?:${[longer, ...sameLength].join('|')})$`;
}
