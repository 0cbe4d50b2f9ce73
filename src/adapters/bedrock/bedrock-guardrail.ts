import { ApplyGuardrailCommand, type BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { Guardrail, GuardrailCheckOptions, GuardrailResult } from '../../core/ports/guardrail.js';
import { bedrockRuntimeClient } from './bedrock-client.js';
import { bedrockFailure } from './bedrock-errors.js';
import { interventionAssessments, summarizeAssessments } from './guardrail-assessments.js';

export interface BedrockGuardrailOptions {
  /** The guardrail's id or ARN. */
  readonly guardrailId: string;
  /** A published version number, or `DRAFT`. */
  readonly guardrailVersion: string;
  readonly client?: BedrockRuntimeClient;
}

/** A Bedrock guardrail applied on its own (ApplyGuardrail) to the question and to the answer. */
export class BedrockGuardrail implements Guardrail {
  private readonly client: BedrockRuntimeClient;

  constructor(private readonly options: BedrockGuardrailOptions) {
    this.client = options.client ?? bedrockRuntimeClient();
  }

  async check(options: GuardrailCheckOptions): Promise<GuardrailResult> {
    const { text, source, abortSignal } = options;
    let response;
    try {
      response = await this.client.send(
        new ApplyGuardrailCommand({
          guardrailIdentifier: this.options.guardrailId,
          guardrailVersion: this.options.guardrailVersion,
          source,
          content: [{ text: { text } }],
        }),
        { abortSignal },
      );
    } catch (error) {
      throw bedrockFailure(error, abortSignal, {
        guardrail: this.options.guardrailId,
        version: this.options.guardrailVersion,
      });
    }
    const assessments = summarizeAssessments(response.assessments);
    if (response.action !== 'GUARDRAIL_INTERVENED') return { action: 'NONE', assessments };
    // The text the guardrail substitutes: its blocked message, or the input with entities masked.
    const output = (response.outputs ?? []).map((o) => o.text ?? '').join('');
    return { action: 'INTERVENED', output, assessments: interventionAssessments(assessments) };
  }
}
