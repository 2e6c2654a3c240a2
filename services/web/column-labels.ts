/**
 * What a person reads for each column of the dashboards: panel queries keep the star schema's
 * names (the CSV and the data attributes carry them, for analysts' tools and tests), and the page
 * shows these words instead, with how to write each value. One vocabulary for the four
 * dashboards, so `units_on_hand` reads "On hand" wherever it appears; a panel may say it
 * differently (PanelDefinition.labels) where a name means something narrower there.
 */

/**
 * How the page writes a value (public/app.js); the raw value stays in the cell's data-value.
 * - share: a fraction 0..1 written as a percentage (0.627 -> 62.7 %)
 * - utc_time: a UTC timestamp ('2026-12-04 10:00:00.000') in the store's local time when one store is chosen, else in UTC
 * - words: a code written in words (OUT_OF_STOCK -> Out of stock)
 * - yes_no: a boolean as yes / no
 * - stock: units on hand, a negative count flagged (more sold than counted and received: a recount is due)
 * - day: a calendar date ('2026-12-03') with its weekday (Thu 3 Dec), how a store thinks of its days
 */
export type ColumnFormat = 'share' | 'utc_time' | 'words' | 'yes_no' | 'stock' | 'day';

export interface ColumnLabel {
  /** The header, with its unit when the number has one ("Hours left", "WAPE %"). */
  readonly label: string;
  readonly format?: ColumnFormat;
  /** A unit the y axis names when every series of a chart shares it. */
  readonly unit?: string;
  /** Kept in the table (machine-readable) and the CSV but not shown: identifiers nobody reads. */
  readonly hidden?: boolean;
}

export const COLUMN_LABELS: Readonly<Record<string, ColumnLabel>> = {
  // time
  business_date: { label: 'Date', format: 'day' },
  order_date: { label: 'Order date' },
  forecast_date: { label: 'Date' },
  day: { label: 'Date' },
  local_hour: { label: 'Hour (store time)' },
  expiry_date: { label: 'Expires on', format: 'day' },
  checked_on: { label: 'Checked on' },
  data_from: { label: 'Data from' },
  data_to: { label: 'Data to' },
  trained_at: { label: 'Trained', format: 'utc_time' },
  raised_at: { label: 'Raised', format: 'utc_time' },
  acted_at: { label: 'Action at', format: 'utc_time' },
  snoozed_until: { label: 'Snoozed until', format: 'utc_time' },
  next_delivery_expected_at: { label: 'Next delivery', format: 'utc_time' },
  // who and what
  region: { label: 'Region' },
  store_id: { label: 'Store' },
  sku: { label: 'SKU' },
  product_name: { label: 'Product' },
  category: { label: 'Category' },
  item: { label: 'Item' },
  quadrant: { label: 'Quadrant', format: 'words' },
  alert_id: { label: 'Alert id', hidden: true },
  alert_type: { label: 'Kind', format: 'words' },
  severity: { label: 'Severity', format: 'words' },
  reason: { label: 'Why' },
  last_action: { label: 'Done so far', format: 'words' },
  acted_by: { label: 'By' },
  // money
  revenue: { label: 'Revenue' },
  revenue_week_before: { label: 'Week before' },
  net_sales_reporting: { label: 'Net sales' },
  value_at_cost_reporting: { label: 'Value at cost' },
  // stock and sales
  units: { label: 'Units' },
  units_sold: { label: 'Units sold', unit: 'units' },
  units_on_hand: { label: 'On hand', format: 'stock', unit: 'units' },
  units_sold_per_day: { label: 'Sold per day' },
  units_to_order: { label: 'Order now (units)' },
  reorder_point: { label: 'Reorder at (units)' },
  units_shrunk: { label: 'Units written off', unit: 'units' },
  movements: { label: 'Write-offs' },
  stockout_risk: { label: 'Risk', format: 'share' },
  hours_to_stockout: { label: 'Hours left' },
  days_of_cover: { label: 'Days of cover', unit: 'days' },
  days_until_expiry: { label: 'Days left' },
  products: { label: 'Products', unit: 'products' },
  products_tracked: { label: 'Products tracked' },
  products_out_of_stock: { label: 'Out of stock' },
  stockout_rate_pct: { label: 'Out of stock %', unit: '%' },
  open_alerts: { label: 'Open alerts', unit: 'alerts' },
  orders: { label: 'Orders' },
  received: { label: 'Received' },
  mean_delay_hours: { label: 'Mean delay (hours)' },
  short_deliveries: { label: 'Short deliveries' },
  // forecasts and models
  units_p10: { label: 'P10 (units)', unit: 'units' },
  units_p50: { label: 'P50 forecast (units)', unit: 'units' },
  units_p90: { label: 'P90 (units)', unit: 'units' },
  wape_pct: { label: 'WAPE %', unit: '%' },
  coverage_p10_p90_pct: { label: 'P10-P90 coverage %', unit: '%' },
  series_scored: { label: 'Series scored' },
  measure: { label: 'Measure', format: 'words' },
  psi: { label: 'PSI' },
  threshold: { label: 'Drift threshold (PSI)' },
  drifted: { label: 'Drifted', format: 'yes_no' },
  model_version: { label: 'Model version' },
  mase: { label: 'MASE' },
  bias: { label: 'Bias' },
  accepted: { label: 'Accepted', format: 'yes_no' },
  role: { label: 'Role' },
  forecaster: { label: 'Forecaster', format: 'words' },
  segment: { label: 'Segment' },
  points: { label: 'Points scored' },
  origins: { label: 'Backtest origins' },
};

/**
 * The labels of a panel's columns: the panel's own words first, then the vocabulary. A column in
 * neither (a query edited without a word for it) keeps its name rather than failing the page;
 * the unit test of the dashboards finds it.
 */
export function columnLabels(columns: readonly string[], own: Readonly<Record<string, string>> = {}): Record<string, ColumnLabel> {
  return Object.fromEntries(
    columns.map((c) => {
      const known = COLUMN_LABELS[c] ?? { label: c };
      return [c, own[c] === undefined ? known : { ...known, label: own[c] }];
    }),
  );
}
