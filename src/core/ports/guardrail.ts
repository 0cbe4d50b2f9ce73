export type GuardrailSource = 'INPUT' | 'OUTPUT';

export interface GuardrailAssessment {
  /** Policy family, e.g. `sensitiveInformation` or `wordPolicy`, as Bedrock names them. */
  readonly policy: string;
  /** What matched, e.g. `EMAIL` or the denied word's category; never the matched text itself. */
  readonly type: string;
  readonly action: 'BLOCKED' | 'ANONYMIZED';
}

export interface GuardrailCheckOptions {
  readonly text: string;
  readonly source: GuardrailSource;
  readonly abortSignal?: AbortSignal;
}

export interface GuardrailResult {
  readonly action: 'NONE' | 'INTERVENED';
  /** The text to use instead when the guardrail intervened (a block message or masked text). */
  readonly output?: string;
  readonly assessments: readonly GuardrailAssessment[];
}

export interface Guardrail {
  check(options: GuardrailCheckOptions): Promise<GuardrailResult>;
}
