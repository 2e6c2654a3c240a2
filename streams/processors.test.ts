import { PROCESSOR_NAMES, REBUILDABLE_NAMES, isProcessorName } from './processors';

describe('the processor registry', () => {
  it('lists every processor once, the archive included, and rebuilds only what writes ClickHouse', () => {
    expect([...PROCESSOR_NAMES].sort()).toEqual(['anomaly', 'archive', 'stock', 'velocity', 'warehouse']);
    expect(REBUILDABLE_NAMES).not.toContain('archive');
    expect(REBUILDABLE_NAMES.length).toBe(PROCESSOR_NAMES.length - 1);
    expect(isProcessorName('archive')).toBe(true);
    expect(isProcessorName('toString')).toBe(false);
  });
});
