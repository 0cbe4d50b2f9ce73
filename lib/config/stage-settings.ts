/**
 * Stage settings without editing code (DESIGN 6): every per-stage setting can come from a JSON
 * file beside `cdk.json` or from CDK context, merged (JSON Merge Patch) over the built-in stage
 * defaults of `stages.ts`, then validated as a whole. Errors name the key, the bad value and where
 * the value came from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isJsonObject, mergePatch, patchTouches } from './merge-patch.js';
import {
  STAGES,
  STAGE_NAMES,
  checkedStageConfig,
  isStageName,
  type StageConfig,
  type StageName,
} from './stages.js';

/** The settings file, beside `cdk.json`: `{ "<stage>": { ...settings of that stage } }`. */
export const STAGE_SETTINGS_FILE = 'stages.json';
/** CDK context key of another settings file (`-c stageSettingsFile=path`; empty for none). */
export const SETTINGS_FILE_CONTEXT = 'stageSettingsFile';
/**
 * CDK context key of settings for the stage being synthesized: an object in `cdk.json` /
 * `cdk.context.json`, or a JSON string on the command line (`-c stageSettings='{"alarms": ...}'`).
 */
export const SETTINGS_CONTEXT = 'stageSettings';

/** One source of settings, in the order they apply. */
export interface SettingsLayer {
  /** Where the values come from, as error messages name it. */
  readonly origin: string;
  /** A partial stage config; `null` removes a default. */
  readonly settings: unknown;
}

export class StageSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageSettingsError';
  }
}

/** The settings of `stage` in a settings file, or none when the file does not exist. */
export function settingsFileLayer(path: string, stage: StageName): SettingsLayer | undefined {
  if (path === '' || !existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new StageSettingsError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(parsed)) {
    throw new StageSettingsError(
      `${path} must hold an object of stage settings, e.g. {"dev": {"alarms": {"emailSubscribers": ["you@example.com"]}}}`,
    );
  }
  for (const key of Object.keys(parsed)) {
    if (!isStageName(key)) {
      throw new StageSettingsError(`${path}: unknown stage '${key}': use one of ${STAGE_NAMES.join(', ')}`);
    }
  }
  const settings = parsed[stage];
  if (settings === undefined) return undefined;
  if (!isJsonObject(settings)) {
    throw new StageSettingsError(
      `${path}: ${stage} must be an object of settings (got ${JSON.stringify(settings)})`,
    );
  }
  return { origin: `${path} (${stage})`, settings };
}

/** The settings given as CDK context (an object, or a JSON string from `-c`). */
export function contextLayer(value: unknown): SettingsLayer | undefined {
  if (value === undefined) return undefined;
  let settings = value;
  if (typeof value === 'string') {
    try {
      settings = JSON.parse(value);
    } catch (error) {
      throw new StageSettingsError(
        `context ${SETTINGS_CONTEXT} is not valid JSON (${(error as Error).message}); ` +
          `pass it as -c ${SETTINGS_CONTEXT}='{"alarms":{"emailSubscribers":["you@example.com"]}}'`,
      );
    }
  }
  if (!isJsonObject(settings)) {
    throw new StageSettingsError(
      `context ${SETTINGS_CONTEXT} must be an object of settings (got ${JSON.stringify(settings)})`,
    );
  }
  return { origin: `context ${SETTINGS_CONTEXT}`, settings };
}

/**
 * The validated configuration of `stage`: its built-in defaults with each layer merged over them
 * in order. A bad value fails with every offending key, what is allowed, and its origin.
 * @throws Error for an unknown stage or an invalid merged configuration.
 */
export function resolveStageConfig(
  stage: unknown,
  layers: readonly (SettingsLayer | undefined)[] = [],
  defaults: Readonly<Record<StageName, StageConfig>> = STAGES,
): StageConfig {
  if (!isStageName(stage)) {
    throw new Error(`Unknown stage '${String(stage)}': use one of ${STAGE_NAMES.join(', ')}`);
  }
  const applied = layers.filter((layer): layer is SettingsLayer => layer !== undefined);
  const merged = applied.reduce<unknown>(
    (config, layer) => mergePatch(config, layer.settings),
    defaults[stage],
  );
  const originOf = (path: readonly PropertyKey[]) =>
    applied.findLast((layer) => patchTouches(layer.settings, path))?.origin;
  return checkedStageConfig(stage, merged, originOf);
}
