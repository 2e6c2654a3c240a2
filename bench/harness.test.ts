import { formatBenchLine, percentile } from './harness';

describe('bench harness', () => {
  it('formats the summary line in base units', () => {
    expect(formatBenchLine('ingest', { events_per_s: 21000, p99_ms: 12.3456, ratio: 0.81234 })).toBe('BENCH ingest events_per_s=21000 p99_ms=12.35 ratio=0.8123');
  });

  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
  });
});
