/**
 * The template tests of the three stages. They run as one test file on purpose: each file gets
 * its own process, and the first synthesis in a process spends seconds loading aws-cdk-lib, so the
 * suites below share one process and one synthesis per stage (`stageTemplates`) instead of
 * paying that per file. Each suite is its own module under `suites/`.
 */
import { afterAll, afterEach, beforeEach, vi } from 'vitest';
import { removeOutdirs } from './support/stage-app.js';
import './suites/stacks.js';
import './suites/serving-api.js';
import './suites/monitoring.js';
import './suites/ask-rag-udf.js';
import './suites/first-deploy.js';
import './suites/cfn-lint.js';
import './suites/jobs.js';

beforeEach(() => {
  // Dev has no region of its own: it takes the CLI's, which these tests pin.
  vi.stubEnv('CDK_DEFAULT_REGION', 'us-east-1');
  vi.stubEnv('CDK_DEFAULT_ACCOUNT', undefined);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(() => {
  removeOutdirs();
});
