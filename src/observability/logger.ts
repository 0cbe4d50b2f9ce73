import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICE_NAME } from '../shared/metrics.js';
import { redactingReplacer } from './redaction.js';

export interface ServiceLoggerOptions {
  /** Log prompt and answer text (debugging only). @default false */
  readonly logPrompts?: boolean;
  /** Overrides POWERTOOLS_LOG_LEVEL of the process, e.g. for one local server in a test. */
  readonly logLevel?: string;
}

/** The service's structured logger: every item passes the redaction replacer before it is written. */
export function createServiceLogger(options: ServiceLoggerOptions = {}): Logger {
  return new Logger({
    serviceName: SERVICE_NAME,
    ...(options.logLevel !== undefined && { logLevel: options.logLevel as 'INFO' }),
    jsonReplacerFn: redactingReplacer({ logPrompts: options.logPrompts ?? false }),
  });
}
