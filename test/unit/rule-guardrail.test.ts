import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BLOCK_MESSAGE,
  RuleGuardrail,
  denyListFromEnv,
} from '../../src/adapters/local/rule-guardrail.js';

describe('Class: RuleGuardrail', () => {
  describe('personal data', () => {
    it.each([
      ['EMAIL', 'Write to jane.doe+billing@example.co.uk for access.', 'jane.doe+billing@example.co.uk'],
      ['PHONE', 'Call me on +44 20 7946 0958 tomorrow.', '+44 20 7946 0958'],
      ['PHONE', 'My number is (555) 123-4567.', '(555) 123-4567'],
      ['PHONE', 'Try 1-800-555-0199 after six.', '1-800-555-0199'],
      ['CREDIT_DEBIT_CARD_NUMBER', 'My card is 4111 1111 1111 1111, charge it.', '4111 1111 1111 1111'],
      ['CREDIT_DEBIT_CARD_NUMBER', 'Use 5500005555555559 please.', '5500005555555559'],
      ['CREDIT_DEBIT_CARD_NUMBER', 'Amex 3782 822463 10005 expires soon.', '3782 822463 10005'],
      ['US_SOCIAL_SECURITY_NUMBER', 'My SSN is 123-45-6789.', '123-45-6789'],
      ['AWS_ACCESS_KEY', 'The key AKIAIOSFODNN7EXAMPLE stopped working.', 'AKIAIOSFODNN7EXAMPLE'],
      ['IP_ADDRESS', 'The database is at 192.168.1.10:5432.', '192.168.1.10'],
    ])('blocks a question containing %s (%s)', async (type, text, secret) => {
      // Prepare
      const guardrail = new RuleGuardrail();
      // Act
      const result = await guardrail.check({ text, source: 'INPUT' });
      // Assess
      expect(result.action).toBe('INTERVENED');
      expect(result.output).toBe(DEFAULT_BLOCK_MESSAGE);
      expect(result.assessments).toEqual([{ policy: 'sensitiveInformationPolicy', type, action: 'BLOCKED' }]);
      expect(JSON.stringify(result)).not.toContain(secret);
    });

    it('rejects a 16-digit number that fails the Luhn check', async () => {
      // Prepare
      const guardrail = new RuleGuardrail();
      // Act
      const grouped = await guardrail.check({ text: 'Card 4111 1111 1111 1112 declined.', source: 'INPUT' });
      const bare = await guardrail.check({ text: 'Order 4532015112830367 shipped.', source: 'INPUT' });
      // Assess
      expect(grouped).toEqual({ action: 'NONE', assessments: [] });
      expect(bare).toEqual({ action: 'NONE', assessments: [] });
    });

    it.each([
      'In 2024 we moved to Node 20.19 and aws-cdk-lib 2.276.0.',
      'Upgrade from version 1.2.3.4 to 1.2.4.',
      'The batch ran on 2024-01-15 at 10:30 and took 1234 ms.',
      'Seasons 2019 2020 2021 2022 were archived.',
      'The server listens on 127.0.0.1:8080 and 0.0.0.0 is refused.',
      'Created at 1700000000000 (epoch milliseconds), chunk corpus:api/params.md#2.',
      'Set max_tokens to 4096 and top_k to 50.',
    ])('leaves ordinary numbers alone: %s', async (text) => {
      // Prepare
      const guardrail = new RuleGuardrail();
      // Act
      const result = await guardrail.check({ text, source: 'OUTPUT' });
      // Assess
      expect(result).toEqual({ action: 'NONE', assessments: [] });
    });

    it('anonymizes personal data in an answer, as Bedrock does', async () => {
      // Prepare
      const guardrail = new RuleGuardrail();
      const text = 'Contact ops@example.com or +1 555 123 4567; the host is 10.0.4.2.';
      // Act
      const result = await guardrail.check({ text, source: 'OUTPUT' });
      // Assess
      expect(result.action).toBe('INTERVENED');
      expect(result.output).toBe('Contact {EMAIL} or {PHONE}; the host is {IP_ADDRESS}.');
      expect(result.assessments).toEqual([
        { policy: 'sensitiveInformationPolicy', type: 'EMAIL', action: 'ANONYMIZED' },
        { policy: 'sensitiveInformationPolicy', type: 'PHONE', action: 'ANONYMIZED' },
        { policy: 'sensitiveInformationPolicy', type: 'IP_ADDRESS', action: 'ANONYMIZED' },
      ]);
    });

    it('reports each entity type once, however often it occurs', async () => {
      // Prepare
      const guardrail = new RuleGuardrail();
      // Act
      const result = await guardrail.check({ text: 'a@example.com, b@example.com', source: 'OUTPUT' });
      // Assess
      expect(result.output).toBe('{EMAIL}, {EMAIL}');
      expect(result.assessments).toHaveLength(1);
    });

    it('anonymizes a question instead of blocking it when configured so', async () => {
      // Prepare
      const guardrail = new RuleGuardrail({ pii: 'ANONYMIZE' });
      // Act
      const result = await guardrail.check({ text: 'Is 123-45-6789 a valid SSN?', source: 'INPUT' });
      // Assess
      expect(result.output).toBe('Is {US_SOCIAL_SECURITY_NUMBER} a valid SSN?');
      expect(result.assessments).toEqual([
        { policy: 'sensitiveInformationPolicy', type: 'US_SOCIAL_SECURITY_NUMBER', action: 'ANONYMIZED' },
      ]);
    });

    it('never puts the matched text in an assessment', async () => {
      // Prepare
      const guardrail = new RuleGuardrail({ denyList: ['falcon'] });
      const secrets = ['jane@example.com', '4111111111111111', 'AKIAIOSFODNN7EXAMPLE', 'falcon'];
      // Act
      const result = await guardrail.check({
        text: `Project falcon: ${secrets.slice(0, 3).join(' ')}`,
        source: 'INPUT',
      });
      // Assess
      expect(result.assessments.length).toBeGreaterThan(1);
      const serialized = JSON.stringify(result.assessments).toLowerCase();
      for (const secret of secrets) expect(serialized).not.toContain(secret.toLowerCase());
    });
  });

  describe('deny list', () => {
    it.each(['What is the CEO salary?', 'SALARY', 'salary.', 'Tell me about Project   Falcon plans'])(
      'blocks a denied word or phrase in any case: %s',
      async (text) => {
        // Prepare
        const guardrail = new RuleGuardrail({ denyList: ['Salary', 'project falcon'] });
        // Act
        const result = await guardrail.check({ text, source: 'INPUT' });
        // Assess
        expect(result).toEqual({
          action: 'INTERVENED',
          output: DEFAULT_BLOCK_MESSAGE,
          assessments: [{ policy: 'wordPolicy', type: 'CUSTOM', action: 'BLOCKED' }],
        });
      },
    );

    it.each(['The salaryman left.', 'Presalary checks', 'project falconry'])(
      'matches whole words only: %s',
      async (text) => {
        // Prepare
        const guardrail = new RuleGuardrail({ denyList: ['salary', 'project falcon'] });
        // Act
        const result = await guardrail.check({ text, source: 'INPUT' });
        // Assess
        expect(result.action).toBe('NONE');
      },
    );

    it('blocks an answer containing a denied word with the configured message', async () => {
      // Prepare
      const guardrail = new RuleGuardrail({ denyList: ['password'], blockMessage: 'Not here.' });
      // Act
      const result = await guardrail.check({ text: 'The admin password is hunter2.', source: 'OUTPUT' });
      // Assess
      expect(result.action).toBe('INTERVENED');
      expect(result.output).toBe('Not here.');
    });

    it('passes clean text through untouched', async () => {
      // Prepare
      const guardrail = new RuleGuardrail({ denyList: ['salary'] });
      // Act
      const result = await guardrail.check({ text: 'How do I change the port?', source: 'INPUT' });
      // Assess
      expect(result).toEqual({ action: 'NONE', assessments: [] });
    });
  });

  it('refuses an empty block message at construction', () => {
    // Act / Assess
    expect(() => new RuleGuardrail({ blockMessage: '  ' })).toThrow(/blockMessage/);
  });

  it('stops when the request is aborted', async () => {
    // Prepare
    const guardrail = new RuleGuardrail();
    // Act / Assess
    await expect(
      guardrail.check({ text: 'hi', source: 'INPUT', abortSignal: AbortSignal.abort() }),
    ).rejects.toThrow();
  });
});

describe('Function: denyListFromEnv', () => {
  it('parses a comma-separated list, trimming and dropping empty and repeated entries', () => {
    // Act
    const list = denyListFromEnv(' password, salary ,, Salary,project   falcon,');
    // Assess
    expect(list).toEqual(['password', 'salary', 'project falcon']);
  });

  it('gives an empty list for an unset or blank variable', () => {
    // Act / Assess
    expect(denyListFromEnv(undefined)).toEqual([]);
    expect(denyListFromEnv('  ')).toEqual([]);
  });
});
