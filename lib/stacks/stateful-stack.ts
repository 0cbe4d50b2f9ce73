import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { JobsStackOutput } from '../../src/shared/jobs.js';
import type { StageConfig } from '../config/stages.js';
import { JobsTable } from '../constructs/jobs-table.js';
import { SessionTable } from '../constructs/session-table.js';
import { TokenTable } from '../constructs/token-table.js';
import { UsageTable } from '../constructs/usage-table.js';
import { StackOutput } from '../../src/shared/stack-outputs.js';

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * Everything that holds data (DESIGN 6): the session, token, usage and jobs tables, and the reference
 * to the Pinecone API key secret. Kept apart from the serving stack so that the API and functions
 * can be redeployed, replaced or torn down without touching data.
 */
export class StatefulStack extends Stack {
  readonly sessions: SessionTable;
  readonly tokens: TokenTable;
  readonly usage: UsageTable;
  /** The ingestion manifest and job run counters. */
  readonly jobs: JobsTable;
  /**
   * The Pinecone API key, created outside CDK (`aws secretsmanager create-secret`) so that its
   * value never passes through a template; referenced by name.
   */
  readonly pineconeApiKey: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const protection = {
      removalPolicy: config.tables.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      pointInTimeRecovery: config.tables.pointInTimeRecovery,
      deletionProtection: config.tables.deletionProtection,
    };

    this.sessions = new SessionTable(this, 'Sessions', {
      turnTtl: Duration.days(config.sessions.ttlDays),
      ...protection,
    });
    this.tokens = new TokenTable(this, 'Tokens', protection);
    this.usage = new UsageTable(this, 'Usage', protection);
    this.jobs = new JobsTable(this, 'Jobs', protection);
    // `npm run ingest -- --stage` finds the manifest here (src/cli/stage-outputs.ts).
    new CfnOutput(this, JobsStackOutput.jobsTable, {
      description: 'Ingestion manifests and job run counts',
      value: this.jobs.table.tableName,
    });
    this.pineconeApiKey = secretsmanager.Secret.fromSecretNameV2(
      this,
      'PineconeApiKey',
      config.pinecone.apiKeySecretName,
    );

    // Stable names the token CLI and CI find the tables by (the table names themselves are generated).
    new CfnOutput(this, StackOutput.tokenTable, {
      key: StackOutput.tokenTable,
      value: this.tokens.table.tableName,
      description: 'Token hashes: npm run tokens -- create --stage <stage> writes here',
    });
    new CfnOutput(this, StackOutput.sessionTable, {
      key: StackOutput.sessionTable,
      value: this.sessions.table.tableName,
      description: 'Conversation turns, one item per turn',
    });

    if (!config.tables.pointInTimeRecovery) {
      acknowledgeNoBackups(
        this.sessions.table,
        `it holds only short-lived conversation turns (TTL ${config.sessions.ttlDays} days) that are not restored after loss`,
        config,
      );
      acknowledgeNoBackups(
        this.tokens.table,
        'its token records are re-issued with the token CLI after a loss (they hold hashes, not tokens that could be recovered)',
        config,
      );
      acknowledgeNoBackups(
        this.usage.table,
        'it holds only quota counters of the current window, which start again from zero after a loss',
        config,
      );
      acknowledgeNoBackups(
        this.jobs.table,
        'it holds the ingestion manifest and run counters, which the next ingestion run rebuilds from the documents bucket (at the cost of embedding again)',
        config,
      );
    }
  }
}

function acknowledgeNoBackups(table: dynamodb.Table, why: string, config: StageConfig): void {
  Validations.of(table).acknowledge({
    id: 'AwsSolutions::AwsSolutions-DDB3',
    reason:
      `No point-in-time recovery on stage ${config.stage}: ${why}. ` +
      'Prod enables it (tables.pointInTimeRecovery, enforced by the stage config validation).',
  });
}
