import type {
  Guardrail,
  GuardrailAssessment,
  GuardrailCheckOptions,
  GuardrailResult,
} from '../../core/ports/guardrail.js';
import { luhnValid } from '../../text/luhn.js';

export interface RuleGuardrailOptions {
  /** Words or phrases to block wherever they occur as whole words, in any case. @default [] */
  readonly denyList?: readonly string[];
  /** What the caller sees instead of a blocked text. @default "Sorry, I can't help with that request." */
  readonly blockMessage?: string;
  /**
   * What to do with personal data in a question (INPUT). Answers (OUTPUT) are always anonymized:
   * the indexed documents may legitimately contain a contact address, and masking it is enough.
   * @default 'BLOCK'
   */
  readonly pii?: 'BLOCK' | 'ANONYMIZE';
}

/** Mirrors the blocked message a Bedrock guardrail is commonly configured with. */
export const DEFAULT_BLOCK_MESSAGE = "Sorry, I can't help with that request.";

/**
 * A local stand-in for Bedrock's ApplyGuardrail: a deny list (Bedrock's word policy) and pattern
 * based detection of personal data (its sensitive information policy), reported with Bedrock's
 * policy and entity type names so that metrics and responses look the same in both modes.
 * Assessments name what matched, never the matched text, so they are safe to log.
 */
export class RuleGuardrail implements Guardrail {
  private readonly denied: readonly RegExp[];
  private readonly blockMessage: string;
  private readonly inputPii: 'BLOCK' | 'ANONYMIZE';

  constructor(options: RuleGuardrailOptions = {}) {
    const { denyList = [], blockMessage = DEFAULT_BLOCK_MESSAGE, pii = 'BLOCK' } = options;
    if (blockMessage.trim() === '') {
      throw new Error('blockMessage must not be empty; omit it to use the default message');
    }
    if (pii !== 'BLOCK' && pii !== 'ANONYMIZE') {
      throw new Error(`pii must be 'BLOCK' or 'ANONYMIZE', got '${String(pii)}'`);
    }
    this.denied = denyList
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map(wholeWordPattern);
    this.blockMessage = blockMessage;
    this.inputPii = pii;
  }

  async check(options: GuardrailCheckOptions): Promise<GuardrailResult> {
    options.abortSignal?.throwIfAborted();
    const { text, source } = options;
    const piiAction = source === 'INPUT' && this.inputPii === 'BLOCK' ? 'BLOCKED' : 'ANONYMIZED';
    const { masked, types } = maskPii(text);
    const assessments: GuardrailAssessment[] = types.map((type) => ({
      policy: 'sensitiveInformationPolicy',
      type,
      action: piiAction,
    }));
    const denied = this.denied.some((pattern) => pattern.test(text));
    if (denied) assessments.unshift({ policy: 'wordPolicy', type: 'CUSTOM', action: 'BLOCKED' });

    if (assessments.length === 0) return { action: 'NONE', assessments };
    const blocked = assessments.some((a) => a.action === 'BLOCKED');
    return { action: 'INTERVENED', output: blocked ? this.blockMessage : masked, assessments };
  }
}

/** Parses a comma-separated deny list such as `RAG_GUARDRAIL_DENY="password,salary,project falcon"`. */
export function denyListFromEnv(value: string | undefined): readonly string[] {
  if (value === undefined) return [];
  const seen = new Set<string>();
  const entries: string[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim().replace(/\s+/g, ' ');
    if (entry === '' || seen.has(entry.toLowerCase())) continue;
    seen.add(entry.toLowerCase());
    entries.push(entry);
  }
  return entries;
}

/**
 * Matches an entry only as a whole word or phrase: "pass" must not block "password" or
 * "compass". Letters, digits and `_` count as word characters in any script; spaces inside a
 * phrase match any run of whitespace.
 */
function wholeWordPattern(entry: string): RegExp {
  const body = entry
    .split(/\s+/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('\\s+');
  return new RegExp(`(?<![\\p{L}\\p{N}_])${body}(?![\\p{L}\\p{N}_])`, 'iu');
}

// ---------------------------------------------------------------------------------------------
// Personal data

interface PiiDetector {
  /** Bedrock's entity type name; also the mask, as `{EMAIL}`. */
  readonly type: string;
  readonly pattern: RegExp;
  /** A second look at a match the pattern cannot judge alone. */
  readonly accept?: (match: string) => boolean;
}

/**
 * Run in this order over text already masked by the ones before, so that a card number is not
 * also read as a phone number. Each pattern refuses to start or end inside a longer token, so
 * years, versions (1.2.3, v10.0.1.2) and ids are left alone.
 */
const DETECTORS: readonly PiiDetector[] = [
  {
    type: 'EMAIL',
    pattern: /(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])/g,
  },
  {
    type: 'AWS_ACCESS_KEY',
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  },
  {
    // 13 to 19 bare digits, or the printed groupings 4-4-4-4(-3), 4-6-5 and 4-6-4; the Luhn
    // check then turns away nine in ten digit runs that merely look like one.
    type: 'CREDIT_DEBIT_CARD_NUMBER',
    pattern:
      /(?<![\w.-])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?|\d{4}([ -])\d{6}\2\d{4,5})(?![\w-]|\.\d)/g,
    accept: isCardNumber,
  },
  {
    // Dashed form only: nine bare digits are far more often an id than an SSN. Never-issued
    // area numbers (000, 666, 9xx), group 00 and serial 0000 are not SSNs.
    type: 'US_SOCIAL_SECURITY_NUMBER',
    pattern: /(?<![\w.-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-]|\.\d)/g,
  },
  {
    // International numbers need the leading `+`; 8 to 15 digits as E.164 allows.
    type: 'PHONE',
    pattern: /(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,6}(?![\w-]|\.\d)/g,
    accept: (match) => digitCount(match) >= 8 && digitCount(match) <= 15,
  },
  {
    // US numbers need their separators: (555) 123-4567, 555-123-4567, 555.123.4567, 1-800-555-0199.
    type: 'PHONE',
    pattern: /(?<![\w.+-])(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-]|\.\d)/g,
  },
  {
    type: 'IP_ADDRESS',
    // Not after "version" or "release": a four-part version number looks exactly like an address.
    pattern:
      /(?<![\w.])(?<!\b(?:version|release)\s+)(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w-]|\.\d)/gi,
    accept: (match) => !isLocalAddress(match),
  },
];

/** Replaces each detected entity with `{TYPE}`, as Bedrock anonymizes, and lists the types found. */
function maskPii(text: string): { masked: string; types: string[] } {
  const types: string[] = [];
  let masked = text;
  for (const detector of DETECTORS) {
    masked = masked.replace(detector.pattern, (match) => {
      if (detector.accept && !detector.accept(match)) return match;
      if (!types.includes(detector.type)) types.push(detector.type);
      return `{${detector.type}}`;
    });
  }
  return { masked, types };
}

function digitCount(text: string): number {
  return text.replace(/\D/g, '').length;
}

/**
 * Card numbers start with 2 to 6 (Mastercard, Amex, Visa, Discover and the like); requiring it
 * spares long ids and millisecond timestamps (which start with 1) the one-in-ten Luhn lottery.
 */
function isCardNumber(match: string): boolean {
  const digits = match.replace(/\D/g, '');
  return /^[2-6]/.test(digits) && digits.length >= 13 && digits.length <= 19 && luhnValid(digits);
}

/**
 * Loopback and the unspecified address are not personal data, and this project's own
 * documentation says "listens on 127.0.0.1" often enough that masking them would break answers.
 */
function isLocalAddress(ip: string): boolean {
  return ip.startsWith('127.') || ip === '0.0.0.0';
}
