import { luhnValid } from '../text/luhn.js';
/**
 * What never reaches a log line: bearer tokens and credentials always; personal data that has a
 * recognizable shape (e-mail addresses, phone numbers, US social security and payment card
 * numbers) always; and the text people send and get (prompts, answers, feedback comments)
 * unless prompt logging is switched on for debugging.
 */
export interface RedactionOptions {
  /** Keep prompt and answer text (still masking tokens and PII). @default false */
  readonly logPrompts?: boolean;
}

/** Keys whose values are conversation text, wherever they appear in a log item. */
const PROMPT_KEYS = new Set([
  'body',
  'query',
  'question',
  'prompt',
  'messages',
  'content',
  'response',
  'text',
  'comment',
  'retrieval_question',
  'retrievalQuestion',
]);

/** Keys Powertools sets itself, which hold no user data and must keep their shape. */
const STRUCTURAL_KEYS = new Set(['level', 'timestamp', 'service', 'xray_trace_id', 'sampling_rate']);

interface Pattern {
  readonly label: string;
  readonly regex: RegExp;
  readonly accept?: (match: string) => boolean;
}

const PATTERNS: readonly Pattern[] = [
  // Our tokens and Databricks personal access tokens; also any credential after an auth scheme.
  { label: 'TOKEN', regex: /\bdapi[0-9a-f]{8,}\b/gi },
  { label: 'CREDENTIAL', regex: /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi },
  { label: 'EMAIL', regex: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g },
  { label: 'SSN', regex: /\b\d{3}-\d{2}-\d{4}\b/g },
  { label: 'CARD', regex: /\b\d(?:[ -]?\d){12,18}\b/g, accept: passesLuhn },
  { label: 'PHONE', regex: /(?:\+\d{1,3}[ .-]?)?\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b/g },
];

/** Payment card numbers carry a Luhn check digit; long ids and timestamps mostly do not. */
function passesLuhn(candidate: string): boolean {
  return luhnValid(candidate.replace(/\D/g, ''));
}

/** Masks tokens, credentials and PII in free text. */
export function redactText(text: string): string {
  let result = text;
  for (const { label, regex, accept } of PATTERNS) {
    result = result.replace(regex, (match) => (accept && !accept(match) ? match : `[${label}]`));
  }
  return result;
}

const withheld = (value: unknown): string => {
  const length = typeof value === 'string' ? value.length : (JSON.stringify(value)?.length ?? 0);
  return `[WITHHELD ${length} chars; set RAG_LOG_PROMPTS=true to log]`;
};

/**
 * A JSON replacer for log items (Powertools' `jsonReplacerFn`). JSON.stringify calls it for every
 * key at every depth, including the fields of formatted errors, so nothing nested slips past.
 */
export function redactingReplacer(options: RedactionOptions = {}): (key: string, value: unknown) => unknown {
  const logPrompts = options.logPrompts ?? false;
  return (key, value) => {
    if (!logPrompts && PROMPT_KEYS.has(key) && value !== undefined && value !== null) return withheld(value);
    if (typeof value === 'string' && !STRUCTURAL_KEYS.has(key)) return redactText(value);
    return value;
  };
}
