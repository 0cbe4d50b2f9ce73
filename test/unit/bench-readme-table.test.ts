import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { TABLE_END, TABLE_START, performanceBlock, withPerformanceBlock } from '../../bench/readme-table.js';
import type { RecordedSection, ResultsFile } from '../../bench/support/report.js';

const section = (name: string, figures: RecordedSection['figures'], extra: Partial<RecordedSection> = {}) =>
  ({
    name,
    title: name,
    figures,
    measuredAt: '2026-12-08T01:00:00.000Z',
    seconds: 1,
    commit: 'abc1234',
    loadAverage1m: 1.5,
    ...extra,
  }) satisfies RecordedSection;

const results: ResultsFile = {
  machine: {
    node: 'v20.20.2',
    cores: 2,
    cpu: 'Test CPU',
    memoryGiB: 24,
    loadAverage1m: 2,
    commit: 'abc1234',
  },
  sections: {
    'cold-start': section('cold-start', [
      { figure: 'bundle ratio', value: 0.3, unit: 'ratio', goal: { op: '<=', target: 0.4 } },
    ]),
    // A benchmark this script has never heard of: its rows join the table all the same.
    'answer-quality': section(
      'answer-quality',
      [{ figure: 'faithfulness', value: 0.5, unit: 'score', goal: { op: '>=', target: 0.8 } }],
      { commit: 'def5678', loadAverage1m: 3.25 },
    ),
  },
  run: { startedAt: '2026-12-08T00:54:00.000Z', minutes: 6.2, failed: [] },
};

describe('bench/readme-table', () => {
  it('renders every recorded section, with the commits, machine and load that produced it', () => {
    // Act
    const block = performanceBlock(results);

    // Assess
    expect(block.startsWith(TABLE_START)).toBe(true);
    expect(block.endsWith(TABLE_END)).toBe(true);
    expect(block).toContain('commit abc1234, def5678');
    expect(block).toContain('2 cores (Test CPU)');
    expect(block).toContain('load average 1.5 to 3.3 over the benchmarks');
    expect(block).toContain('one `npm run bench` of 6.2 minutes');
    expect(block).toMatch(/\| cold-start +\| bundle ratio +\| 0\.30× +\| ≤ 0\.40× \| pass +\|/);
    expect(block).toMatch(/\| answer-quality \| faithfulness +\| 0\.500 +\| ≥ 0\.800 \| miss +\|/);
    expect(block).toContain('1 goals met, 1 missed');
  });

  it('replaces only the block between the markers, and refuses a README without them', () => {
    // Prepare
    const readme = `# Title\n\nBefore.\n\n${TABLE_START}\nold table\n${TABLE_END}\n\nAfter.\n`;

    // Act
    const written = withPerformanceBlock(readme, `${TABLE_START}\nnew table\n${TABLE_END}`);

    // Assess
    expect(written).toBe(`# Title\n\nBefore.\n\n${TABLE_START}\nnew table\n${TABLE_END}\n\nAfter.\n`);
    expect(() => withPerformanceBlock('# No markers\n', 'x')).toThrow('has no');
  });

  it('finds the markers in the project README', async () => {
    // Act
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');

    // Assess
    expect(() => withPerformanceBlock(readme, `${TABLE_START}\n${TABLE_END}`)).not.toThrow();
  });
});
