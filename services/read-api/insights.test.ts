import { describeInsights } from './insights';
import type { InsightFigures } from './queries';

const week = { units_last_7d: 120, units_prior_7d: 100, net_minor_last_7d: 45_000, net_minor_prior_7d: 50_000, alerts_last_7d: 3, alerts_prior_7d: 1 };

describe('insights text', () => {
  it('says nothing for a store without sales', () => {
    expect(describeInsights({ asOf: null, movers: [], weekdays: [], week: { ...week, units_last_7d: 0 } })).toEqual([]);
  });

  it('describes top movers, the weekday pattern and the week, with figures worked out by hand', () => {
    const figures: InsightFigures = {
      asOf: '2026-03-14',
      movers: [
        { sku: 'SKU-A', units_last_7d: 70, units_prior_7d: 30 },
        { sku: 'SKU-B', units_last_7d: 5, units_prior_7d: 25 },
        { sku: 'SKU-C', units_last_7d: 4, units_prior_7d: 0 },
      ],
      // 28 days: Saturday 40 of 100 units, Sunday (no row) 0.
      weekdays: [
        { weekday: 1, units: 10 },
        { weekday: 2, units: 10 },
        { weekday: 3, units: 10 },
        { weekday: 4, units: 10 },
        { weekday: 5, units: 20 },
        { weekday: 6, units: 40 },
      ],
      week,
    };
    const [a, b, c, pattern, wow] = describeInsights(figures);
    expect(a).toMatchObject({ kind: 'top_mover', sku: 'SKU-A', trend: 'up', text: 'SKU-A sold 70 units in the 7 days to 2026-03-14, up 40 from 30 the 7 days before (+133%).' });
    expect(b).toMatchObject({ sku: 'SKU-B', trend: 'down', text: 'SKU-B sold 5 units in the 7 days to 2026-03-14, down 20 from 25 the 7 days before (-80%).' });
    expect(c).toMatchObject({ sku: 'SKU-C', trend: 'up', figures: { change_pct: 'new' } });
    expect(pattern).toMatchObject({ kind: 'weekday_pattern', text: 'Saturday is the busiest day (40% of the units of the 28 days to 2026-03-14); Sunday the quietest (0%).' });
    expect(wow).toMatchObject({
      kind: 'week_over_week',
      trend: 'up',
      text: 'Since last week: 120 units sold in the 7 days to 2026-03-14 against 100 (+20%), net sales 450.00 against 500.00 (-10%), 3 alerts raised against 1.',
    });
  });
});
