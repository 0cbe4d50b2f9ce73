import { fileURLToPath } from 'node:url';
import { STAGE_SETTINGS_FILE } from '../lib/config/stage-settings.js';

/** The stage settings file beside cdk.json, which `cdk synth` and preflight read unless told otherwise. */
export const DEFAULT_SETTINGS_FILE = fileURLToPath(new URL(`../${STAGE_SETTINGS_FILE}`, import.meta.url));
