import { COLUMN_LABELS, columnLabels } from './column-labels';
import { DASHBOARDS } from './dashboards';

describe('column labels', () => {
  it('has words for every column a dashboard charts, keys its bars by, or names as money', () => {
    const named = DASHBOARDS.flatMap((d) => d.panels.flatMap((p) => [p.x, ...(p.series ?? []), ...(p.money ?? []), ...(p.barLabel ?? []), ...Object.keys(p.labels ?? {})]));
    const missing = [...new Set(named.filter((c): c is string => c !== undefined && COLUMN_LABELS[c] === undefined))];
    expect(missing).toEqual([]);
  });

  it('never shows a database name as a label', () => {
    const snake = Object.values(COLUMN_LABELS).filter((l) => /_/.test(l.label));
    expect(snake).toEqual([]);
  });

  it('takes a panel\'s own word first, keeps the shared format, and leaves an unknown column its name', () => {
    expect(columnLabels(['units_on_hand', 'units', 'mystery_column'], { units: 'Units expiring' })).toEqual({
      units_on_hand: { label: 'On hand', format: 'stock', unit: 'units' },
      units: { label: 'Units expiring' },
      mystery_column: { label: 'mystery_column' },
    });
  });
});
