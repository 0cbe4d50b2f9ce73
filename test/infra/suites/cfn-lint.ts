import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stageTemplates } from '../support/stage-app.js';

interface LintFinding {
  readonly Filename: string;
  readonly Level: string;
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path: readonly (string | number)[] };
}

interface KnownFalsePositive {
  readonly rule: string;
  readonly resourceType: string;
  /** What the finding says, so that nothing else of the same rule and type slips through. */
  readonly message: RegExp;
  readonly reason: string;
}

/**
 * The only findings tolerated, each a known false positive of cfn-lint 1.51 (the machine's
 * Python) on what CDK writes, with why. Anything else fails the suite.
 */
const KNOWN_FALSE_POSITIVES: readonly KnownFalsePositive[] = [
  {
    rule: 'E3002',
    resourceType: 'AWS::CloudWatch::Dashboard',
    message: /'Tags' was unexpected/,
    reason:
      "cfn-lint's schema lacks Tags on dashboards, which CloudFormation accepts and CDK's stack tags add",
  },
  {
    rule: 'E3002',
    resourceType: 'AWS::ApplicationAutoScaling::ScalableTarget',
    message: /'Tags' was unexpected/,
    reason:
      "cfn-lint's schema lacks Tags on scalable targets, which CloudFormation accepts and CDK's stack tags add",
  },
  {
    rule: 'W3005',
    resourceType: 'AWS::Lambda::Function',
    message: /^'\w*BundledRole\w*' dependency already enforced by a 'GetAtt' at .*\/Properties\/Role'$/,
    reason:
      "CDK's Function declares DependsOn on its role beside the GetAtt of it (so that the role's policies exist " +
      'before the function can run); the duplicate edge is harmless and not ours to remove',
  },
  {
    rule: 'W3005',
    resourceType: 'AWS::Lambda::Function',
    message:
      /^'BucketNotificationsHandler\w*Role\w*' dependency already enforced by a 'GetAtt' at .*\/Properties\/Role'$/,
    reason:
      "CDK's own bucket-notifications handler (a singleton function of aws-s3) declares the same DependsOn on its " +
      'role as every CDK function',
  },
  {
    rule: 'W3005',
    resourceType: 'AWS::StepFunctions::StateMachine',
    message:
      /^'\w*StateMachineRole\w*' dependency already enforced by a 'GetAtt' at .*\/Properties\/RoleArn'$/,
    reason:
      "CDK's StateMachine declares DependsOn on its role beside the GetAtt of it (so that the role's policies exist " +
      'before the first execution); harmless, as for functions',
  },
  {
    rule: 'W3005',
    resourceType: 'Custom::S3BucketNotifications',
    message:
      /^'\w*Queue\w*' dependency already enforced by a 'GetAtt' at .*\/QueueConfigurations\/\d+\/QueueArn'$/,
    reason:
      "CDK's bucket notifications depend on the queue and its policy explicitly, so that S3 can verify the " +
      'destination when the notification is written; the edge to the queue duplicates the GetAtt of its ARN',
  },
];

function resourceTypeOf(finding: LintFinding): string | undefined {
  const [section, logicalId] = finding.Location.Path;
  if (section !== 'Resources' || typeof logicalId !== 'string') return undefined;
  const template = JSON.parse(readFileSync(finding.Filename, 'utf8')) as {
    Resources: Record<string, { Type: string }>;
  };
  return template.Resources[logicalId]?.Type;
}

const tolerated = (finding: LintFinding): boolean =>
  KNOWN_FALSE_POSITIVES.some(
    (known) =>
      known.rule === finding.Rule.Id &&
      known.resourceType === resourceTypeOf(finding) &&
      known.message.test(finding.Message),
  );

describe('cfn-lint', () => {
  it('finds nothing in the templates of every stage but its known false positives', () => {
    // Prepare: the cloud assembly of each stage, as cdk synth writes it.
    const templates = (['dev', 'qa', 'prod'] as const).flatMap((stage) =>
      stageTemplates(stage)
        .built.app.synth()
        .stacks.map((stack) => stack.templateFullPath),
    );

    // Act
    const lint = spawnSync('cfn-lint', ['--format', 'json', '--', ...templates], { encoding: 'utf8' });

    // Assess: cfn-lint ran (exit 0 clean, 2 errors, 4 warnings, 6 both) and saw every template.
    expect(lint.error, 'cfn-lint must be installed (pip install cfn-lint)').toBeUndefined();
    expect([0, 2, 4, 6]).toContain(lint.status);
    expect(templates.filter((t) => t.includes('rag-serving-account'))).toHaveLength(3);
    const findings = JSON.parse(lint.stdout || '[]') as LintFinding[];
    const unexpected = findings
      .filter((finding) => !tolerated(finding))
      .map((f) => `${f.Rule.Id} ${f.Location.Path.join('/')}: ${f.Message}`);
    expect(unexpected).toEqual([]);
    // The dashboards' tags of all three stages were seen and excused: the lint read the templates.
    expect(
      findings.filter((f) => f.Rule.Id === 'E3002' && resourceTypeOf(f) === 'AWS::CloudWatch::Dashboard'),
    ).toHaveLength(3);
    // Synthesizing three stages (when no earlier test did) and linting nine templates takes a while.
  }, 180_000);
});
