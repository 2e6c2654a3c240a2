import { compactRows } from './clickhouse-sink';

describe('compactRows', () => {
  it('turns rows with the same fields into arrays under the first row’s column order', () => {
    const rows = [
      { window_start: '2026-03-09T10:00:00.000Z', store_id: 'S001', units: 3, is_final: false },
      { store_id: 'S002', units: 0, is_final: true, window_start: '2026-03-09T10:01:00.000Z' },
    ];
    expect(compactRows(rows)).toEqual({
      columns: ['window_start', 'store_id', 'units', 'is_final'],
      values: [
        ['2026-03-09T10:00:00.000Z', 'S001', 3, false],
        ['2026-03-09T10:01:00.000Z', 'S002', 0, true],
      ],
    });
  });

  it('keeps null, which the compact format carries as it is', () => {
    expect(compactRows([{ a: null, b: 1 }])?.values).toEqual([[null, 1]]);
  });

  it('refuses rows whose fields differ, so a left-out field still takes its column default', () => {
    expect(compactRows([{ a: 1, b: 2 }, { a: 1 }])).toBeUndefined();
    expect(compactRows([{ a: 1 }, { a: 1, b: 2 }])).toBeUndefined();
    expect(compactRows([{ a: 1, b: 2 }, { a: 1, c: 2 }])).toBeUndefined();
  });

  it('refuses a row with an undefined field (JSONEachRow drops it: the column default applies)', () => {
    expect(compactRows([{ a: 1, b: 2 }, { a: 1, b: undefined }])).toBeUndefined();
  });

  it('answers undefined for no rows', () => {
    expect(compactRows([])).toBeUndefined();
  });
});
