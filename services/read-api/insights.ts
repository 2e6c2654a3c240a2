/**
 * Plain-text insights for a store from the figures its queries computed in ClickHouse
 * (queries.ts: movers, weekday totals, the week against the one before). Pure, so each
 * sentence is unit-tested from hand-made figures.
 */
import type { InsightFigures } from './queries';

export interface Insight {
  readonly kind: 'top_mover' | 'weekday_pattern' | 'week_over_week';
  readonly sku: string | null;
  /** up, down or flat: the direction of the change. */
  readonly trend: 'up' | 'down' | 'flat' | null;
  readonly text: string;
  readonly figures: Readonly<Record<string, number | string>>;
}

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

const trendOf = (now: number, before: number): 'up' | 'down' | 'flat' => (now > before ? 'up' : now < before ? 'down' : 'flat');

/** "+25%", "-40%", or "new" when there was nothing before. */
function change(now: number, before: number): string {
  if (before === 0) return now === 0 ? '0%' : 'new';
  const pct = Math.round(((now - before) / before) * 100);
  return `${pct > 0 ? '+' : ''}${pct}%`;
}

const money = (minor: number): string => (minor / 100).toFixed(2);

export function describeInsights(f: InsightFigures): Insight[] {
  if (f.asOf === null) return [];
  const insights: Insight[] = [];
  for (const m of f.movers) {
    const trend = trendOf(m.units_last_7d, m.units_prior_7d);
    const delta = Math.abs(m.units_last_7d - m.units_prior_7d);
    insights.push({
      kind: 'top_mover',
      sku: m.sku,
      trend,
      text: `${m.sku} sold ${m.units_last_7d} units in the 7 days to ${f.asOf}, ${trend} ${delta} from ${m.units_prior_7d} the 7 days before (${change(m.units_last_7d, m.units_prior_7d)}).`,
      figures: { units_last_7d: m.units_last_7d, units_prior_7d: m.units_prior_7d, change_pct: change(m.units_last_7d, m.units_prior_7d) },
    });
  }

  const total = f.weekdays.reduce((s, w) => s + w.units, 0);
  if (total > 0) {
    const sorted = [...f.weekdays].sort((a, b) => b.units - a.units || a.weekday - b.weekday);
    const busiest = sorted[0]!;
    // A weekday with no sales at all in the 28 days is the quietest.
    const all = WEEKDAYS.map((_, i) => f.weekdays.find((w) => w.weekday === i + 1)?.units ?? 0);
    const quietIndex = all.reduce((q, u, i) => (u < all[q]! ? i : q), 0);
    const share = (u: number): number => Math.round((u / total) * 100);
    insights.push({
      kind: 'weekday_pattern',
      sku: null,
      trend: null,
      text: `${WEEKDAYS[busiest.weekday - 1]} is the busiest day (${share(busiest.units)}% of the units of the 28 days to ${f.asOf}); ${WEEKDAYS[quietIndex]} the quietest (${share(all[quietIndex]!)}%).`,
      figures: { busiest_weekday: WEEKDAYS[busiest.weekday - 1]!, busiest_share_pct: share(busiest.units), quietest_weekday: WEEKDAYS[quietIndex]!, quietest_share_pct: share(all[quietIndex]!) },
    });
  }

  const w = f.week;
  const trend = trendOf(w.units_last_7d, w.units_prior_7d);
  insights.push({
    kind: 'week_over_week',
    sku: null,
    trend,
    text:
      `Since last week: ${w.units_last_7d} units sold in the 7 days to ${f.asOf} against ${w.units_prior_7d} (${change(w.units_last_7d, w.units_prior_7d)}), ` +
      `net sales ${money(w.net_minor_last_7d)} against ${money(w.net_minor_prior_7d)} (${change(w.net_minor_last_7d, w.net_minor_prior_7d)}), ` +
      `${w.alerts_last_7d} alerts raised against ${w.alerts_prior_7d}.`,
    figures: { ...w },
  });
  return insights;
}
