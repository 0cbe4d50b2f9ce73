import { describe, expect, it } from 'vitest';
import { redactingReplacer, redactText } from '../../src/observability/redaction.js';

describe('Function: redactText', () => {
  it.each([
    ['a dapi token', 'token dapi0123abcd0123456789abcdef0123456789ab here', 'token [TOKEN] here'],
    ['a bearer credential', 'Authorization: Bearer abc.def-123', 'Authorization: [CREDENTIAL]'],
    ['an e-mail address', 'write to jane.doe+x@mail.example.co.uk now', 'write to [EMAIL] now'],
    ['a US social security number', 'SSN 078-05-1120.', 'SSN [SSN].'],
    ['a payment card number', 'card 4111 1111 1111 1111 ok', 'card [CARD] ok'],
    ['a phone number', 'call +1 (415) 555-0134 today', 'call [PHONE] today'],
  ])('masks %s', (_name, text, expected) => {
    // Act
    const redacted = redactText(text);

    // Assess
    expect(redacted).toBe(expected);
  });

  it('leaves ids, timestamps and numbers that are not card numbers alone', () => {
    // Prepare
    const text = 'TURN#1795725541556#ab12 at 2026-11-26T20:39:01.591Z took 1234567890123 ms';

    // Act
    const redacted = redactText(text);

    // Assess
    expect(redacted).toBe(text);
  });
});

describe('Function: redactingReplacer', () => {
  it('withholds conversation text at any depth unless prompt logging is on', () => {
    // Prepare
    const item = { message: 'request', detail: { query: 'my secret plan', sources: [{ text: 'doc text' }] } };

    // Act
    const hidden = JSON.stringify(item, redactingReplacer());
    const shown = JSON.stringify(item, redactingReplacer({ logPrompts: true }));

    // Assess
    expect(hidden).not.toContain('my secret plan');
    expect(hidden).not.toContain('doc text');
    expect(hidden).toContain('WITHHELD 14 chars');
    expect(shown).toContain('my secret plan');
  });

  it('masks tokens inside formatted errors and keeps the timestamp intact', () => {
    // Prepare
    const item = {
      timestamp: '2026-11-26T20:39:01.591Z',
      error: {
        name: 'Error',
        message: 'bad token dapi0123abcd0123456789abcdef0123456789ab',
        stack: 'at x (mail a@b.io)',
      },
    };

    // Act
    const text = JSON.stringify(item, redactingReplacer({ logPrompts: true }));

    // Assess
    expect(text).toContain('2026-11-26T20:39:01.591Z');
    expect(text).toContain('bad token [TOKEN]');
    expect(text).toContain('mail [EMAIL]');
  });
});
