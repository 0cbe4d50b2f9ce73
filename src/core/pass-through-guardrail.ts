import type { Guardrail, GuardrailResult } from './ports/guardrail.js';

/** RAG_GUARDRAIL=none, or a guardrail attached to the model call instead: every text passes. */
export class PassThroughGuardrail implements Guardrail {
  async check(): Promise<GuardrailResult> {
    return { action: 'NONE', assessments: [] };
  }
}
