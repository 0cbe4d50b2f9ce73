import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** The account stack's name: one per account and region, shared by every stage deployed there. */
export const ACCOUNT_STACK_NAME = 'rag-serving-account';

/**
 * What REST API logging needs once per account and region (DESIGN 6): the CloudWatch role that
 * API Gateway writes access logs with, set in the account's API Gateway settings
 * (`AWS::ApiGateway::Account`). On a fresh account a stage with access logging fails to create
 * without it ("CloudWatch Logs role ARN must be set in account settings").
 *
 * Every stage deploys the same template, so deploying a second stage changes nothing. Both the
 * role and the setting are kept when the stack is deleted: other APIs of the account log with it.
 * Accounts that already have the role opt out with `api.accountCloudWatchRole: 'existing'`.
 */
export class AccountStack extends Stack {
  readonly role: iam.Role;
  readonly apiGatewayAccount: apigw.CfnAccount;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.role = new iam.Role(this, 'ApiGatewayCloudWatchRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway writes REST API access and execution logs of this account and region',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    this.role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.apiGatewayAccount = new apigw.CfnAccount(this, 'ApiGatewayAccount', {
      cloudWatchRoleArn: this.role.roleArn,
    });
    this.apiGatewayAccount.applyRemovalPolicy(RemovalPolicy.RETAIN);

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "API Gateway's account-wide logging role must be able to create log groups and streams of any API in the " +
        'account and region; AWS maintains this managed policy for exactly that role.',
    });
  }
}
