import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type RagServingApp } from '../../../bin/app.js';
import { STAGES, type StageName } from '../../../lib/config/stages.js';

/** The context of cdk.json (feature flags included), so templates here match `cdk synth`. */
export const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

const outdirs: string[] = [];

export interface StageAppOptions {
  /** Run esbuild for the functions, as `cdk synth` does. @default false (bundling skipped) */
  readonly bundle?: boolean;
  /**
   * More context, e.g. `stageSettings` or `stageSettingsFile`. By default no settings file is read,
   * so that a developer's own stages.json never changes what these tests see.
   */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** A CDK app for one stage, as `cdk synth -c stage=<stage>` builds it (bundling skipped unless asked). */
export function synthStage(stage: StageName, options: StageAppOptions = {}): RagServingApp & { app: App } {
  const outdir = mkdtempSync(join(tmpdir(), 'rag-infra-'));
  outdirs.push(outdir);
  const context = {
    ...CDK_JSON_CONTEXT,
    stage,
    // As the CLI does: resources carry their construct and asset paths (tests find resources by them).
    'aws:cdk:enable-path-metadata': true,
    'aws:cdk:enable-asset-metadata': true,
    ...(!options.bundle && { 'aws:cdk:bundling-stacks': [] }),
    stageSettingsFile: '',
    ...options.context,
  };
  const app = new App({ outdir, context });
  return { app, ...buildApp(app) };
}

/** Removes the cloud assemblies written by synthStage; call from afterAll/afterEach. */
export function removeOutdirs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface StageTemplates {
  readonly built: RagServingApp & { app: App };
  readonly stateful: Template;
  readonly serving: Template;
  readonly jobs: Template;
}

const templates = new Map<StageName, StageTemplates>();

/**
 * The templates of a stage, synthesized once per test file: synthesis takes about a second per
 * stage (several on the first, while aws-cdk-lib loads), and these tests only read them.
 * Needs CDK_DEFAULT_REGION (dev has no region of its own); the callers' beforeAll sets it.
 */
export function stageTemplates(stage: StageName): StageTemplates {
  let cached = templates.get(stage);
  if (!cached) {
    const built = synthStage(stage);
    cached = {
      built,
      stateful: Template.fromStack(built.stateful),
      serving: Template.fromStack(built.serving),
      jobs: Template.fromStack(built.jobs),
    };
    templates.set(stage, cached);
  }
  return cached;
}

/** A deep copy of a stage's configuration with the value at `path` replaced, for validation tests. */
export function withChange(stage: StageName, path: readonly string[], value: unknown): unknown {
  const config = structuredClone(STAGES[stage]) as unknown as Record<string, unknown>;
  const parent = path.slice(0, -1).reduce((node, key) => node[key] as Record<string, unknown>, config);
  parent[path.at(-1) as string] = value;
  return config;
}

/**
 * Resolves a cross-stack value in the serving template to the stateful template's output and
 * returns that output's value (`{ Ref: ... }` or `{ 'Fn::GetAtt': ... }`), whether the reference
 * is weak (`Fn::GetStackOutput`) or strong (`Fn::ImportValue`).
 */
export function producerValue(stateful: Template, consumerValue: unknown): unknown {
  const outputs = stateful.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>;
  const value = consumerValue as {
    'Fn::GetStackOutput'?: { OutputName: string };
    'Fn::ImportValue'?: string;
  };
  if (value['Fn::GetStackOutput']) {
    return outputs[value['Fn::GetStackOutput'].OutputName]?.Value;
  }
  if (value['Fn::ImportValue']) {
    return Object.values(outputs).find((o) => o.Export?.Name === value['Fn::ImportValue'])?.Value;
  }
  return undefined;
}

/** The logical id of the one resource of `type` whose `aws:cdk:path` ends with `pathSuffix`. */
export function logicalIdAt(template: Template, type: string, pathSuffix: string): string {
  const ids = Object.entries(template.findResources(type))
    .filter(([, r]) => String(r.Metadata?.['aws:cdk:path'] ?? '').endsWith(pathSuffix))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type} at */${pathSuffix}, found ${ids.length}`);
  return ids[0]!;
}

export interface PolicyStatement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
}

/** The statements of the inline policies attached to the role at `roleIdSuffix` (e.g. 'Invocations/Bundled/Role'). */
export function roleStatements(template: Template, rolePathSuffix: string): PolicyStatement[] {
  const roleId = logicalIdAt(template, 'AWS::IAM::Role', `${rolePathSuffix}/Resource`);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId }),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatement[]);
}

export const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/**
 * A CloudFormation string value as plain text: an `Fn::Join` joined, with each intrinsic inside
 * written as `<Ref:Id>`, `<GetAtt:Id.Attr>` or `<intrinsic>` (no quotes, so JSON bodies stay parseable).
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if (node && typeof node === 'object' && 'Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(separator);
  }
  if (node && typeof node === 'object' && 'Ref' in node) return `<Ref:${String(node.Ref)}>`;
  if (node && typeof node === 'object' && 'Fn::GetAtt' in node) {
    return `<GetAtt:${(node['Fn::GetAtt'] as string[]).join('.')}>`;
  }
  return '<intrinsic>';
}
