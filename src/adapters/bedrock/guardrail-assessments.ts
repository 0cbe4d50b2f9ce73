import type { GuardrailAssessment as BedrockAssessment } from '@aws-sdk/client-bedrock-runtime';
import type { GuardrailAssessment } from '../../core/ports/guardrail.js';

type Acted = { readonly action?: string | undefined };

const ACTIONS = new Set(['BLOCKED', 'ANONYMIZED']);

/**
 * Bedrock's assessments reduced to what a response and a metric may show: the policy, what
 * matched (a topic or filter name, an entity type) and the action. The matched text itself
 * (`match`) is dropped, since it may be the very personal data the guardrail caught. Findings
 * in detect-only mode (action NONE) are left out.
 */
export function summarizeAssessments(assessments: readonly BedrockAssessment[] = []): GuardrailAssessment[] {
  const found: GuardrailAssessment[] = [];
  const add = (policy: string, type: string | undefined, finding: Acted) => {
    const action = finding.action ?? '';
    if (!ACTIONS.has(action)) return;
    const summary = { policy, type: type ?? 'UNKNOWN', action: action as GuardrailAssessment['action'] };
    if (
      !found.some(
        (f) => f.policy === summary.policy && f.type === summary.type && f.action === summary.action,
      )
    ) {
      found.push(summary);
    }
  };
  for (const assessment of assessments) {
    for (const topic of assessment.topicPolicy?.topics ?? []) add('topicPolicy', topic.name, topic);
    for (const filter of assessment.contentPolicy?.filters ?? []) add('contentPolicy', filter.type, filter);
    for (const word of assessment.wordPolicy?.customWords ?? []) add('wordPolicy', 'CUSTOM', word);
    for (const list of assessment.wordPolicy?.managedWordLists ?? []) add('wordPolicy', list.type, list);
    const sensitive = assessment.sensitiveInformationPolicy;
    for (const entity of sensitive?.piiEntities ?? []) add('sensitiveInformationPolicy', entity.type, entity);
    for (const regex of sensitive?.regexes ?? []) add('sensitiveInformationPolicy', regex.name, regex);
    for (const filter of assessment.contextualGroundingPolicy?.filters ?? []) {
      add('contextualGroundingPolicy', filter.type, filter);
    }
  }
  return found;
}

/**
 * The findings of an intervention. One that names no policy we know (a newer policy type) is
 * treated as a block: reading it as masking would pass the guardrail's message on as the text.
 */
export function interventionAssessments(assessments: readonly GuardrailAssessment[]): GuardrailAssessment[] {
  return assessments.length > 0
    ? [...assessments]
    : [{ policy: 'guardrail', type: 'INTERVENED', action: 'BLOCKED' }];
}
