import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stages.js';
import { SessionTable } from '../constructs/session-table.js';

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * Everything that holds data (DESIGN 6): the session table now; the token and usage tables and
 * the secrets references join it here. Kept apart from the serving stack so that serving
 * resources can be replaced freely without touching data.
 */
export class StatefulStack extends Stack {
  readonly sessions: SessionTable;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.sessions = new SessionTable(this, 'Sessions', {
      turnTtl: Duration.days(config.sessions.ttlDays),
      removalPolicy: config.tables.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      pointInTimeRecovery: config.tables.pointInTimeRecovery,
      deletionProtection: config.tables.deletionProtection,
    });

    if (!config.tables.pointInTimeRecovery) {
      Validations.of(this.sessions.table).acknowledge({
        id: 'AwsSolutions::AwsSolutions-DDB3',
        reason:
          `Stage ${config.stage} holds only short-lived conversation turns (TTL ${config.sessions.ttlDays} days) ` +
          'that are not restored after loss; point-in-time recovery is on for prod (tables.pointInTimeRecovery).',
      });
    }
  }
}
