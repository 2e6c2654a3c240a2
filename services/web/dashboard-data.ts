/**
 * Runs a dashboard for one signed-in user: the latest business date with data (the default
 * range ends there), the filters the dashboard fills in itself, every panel's query, and the
 * choices the filter bar offers (only what the user's scope shows). Also the live fingerprint:
 * counts that change whenever new sales, alerts or forecasts become visible to the user.
 */
import type { SqlCredentials } from '../sql/contract';
import type { BiReader } from './bi-reader';
import { filterParams, parseFilters, type DashboardFilters } from './filters';
import { SqlEndpointError } from '../sql/contract';
import { columnLabels } from './column-labels';
import { tabulate, type DashboardDefinition, type PanelData, type PanelDefinition } from './panels';

export interface FilterChoices {
  readonly regions: readonly string[];
  /** time_zone: the store's IANA zone, in which the page writes its times. */
  readonly stores: readonly { readonly store_id: string; readonly store_name: string; readonly region: string; readonly time_zone: string }[];
  readonly categories: readonly string[];
}

export interface DashboardData {
  readonly dashboard: string;
  readonly title: string;
  readonly audience: string;
  readonly filters: DashboardFilters;
  readonly choices: FilterChoices;
  readonly panels: readonly PanelData[];
}

/** The UTC date of the latest sale the user may see: where the default date range ends. */
const LATEST_DAY = `SELECT toString(toDate(max(occurred_at))) AS day, count() AS n FROM \${database}.fact_sale_lines`;
const STORES = `SELECT store_id, store_name, region, time_zone FROM \${database}.bi_dim_store ORDER BY store_id`;
const CATEGORIES = `SELECT DISTINCT category FROM \${database}.bi_dim_product WHERE category != '' ORDER BY category`;
/**
 * Cheap counts that move with every write the pages show (a sale line, a stock movement or order,
 * an alert event, a risk row, a forecast, advice, a training or drift check), as the user sees
 * them: the live feed's trigger and the page cache's data version (lib/stale-while-revalidate.ts).
 */
const FINGERPRINT = `
  SELECT (SELECT count() FROM \${database}.fact_sale_lines) AS sale_lines,
         (SELECT count() FROM \${database}.fact_inventory_movements) AS movements,
         (SELECT count() FROM \${database}.fact_replenishment_orders) AS orders,
         (SELECT count() FROM \${database}.alerts) AS alert_events,
         (SELECT count() FROM \${database}.stockout_risk) AS risk_rows,
         (SELECT count() FROM \${database}.demand_forecast) AS forecasts,
         (SELECT count() FROM \${database}.reorder_recommendation) AS advice,
         (SELECT count() FROM \${database}.model_run) AS model_runs,
         (SELECT count() FROM \${database}.model_drift) AS drift_checks`;

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export async function latestDay(reader: BiReader, who: SqlCredentials): Promise<string> {
  const [row] = await reader.select<{ day: string; n: number }>(who, LATEST_DAY, {});
  return row && Number(row.n) > 0 ? row.day : today();
}

export async function filterChoices(reader: BiReader, who: SqlCredentials): Promise<FilterChoices> {
  const [stores, categories] = await Promise.all([
    reader.select<{ store_id: string; store_name: string; region: string; time_zone: string }>(who, STORES, {}),
    reader.select<{ category: string }>(who, CATEGORIES, {}),
  ]);
  return { regions: [...new Set(stores.map((s) => s.region))].sort(), stores, categories: categories.map((c) => c.category) };
}

/**
 * Column names of each panel query, asked of the engine once (DESCRIBE) and kept: they depend on
 * the text only, not on the filters or the user, and a page would otherwise run every query twice.
 */
const panelColumns = new Map<string, Promise<string[]>>();

/** Column names of a query's result, so an empty result still has its header. */
function columnsOf(reader: BiReader, who: SqlCredentials, sql: string, params: Record<string, string>): Promise<string[]> {
  let columns = panelColumns.get(sql);
  if (!columns) {
    columns = describeColumns(reader, who, sql, params);
    panelColumns.set(sql, columns);
    // A failed DESCRIBE (the engine busy, a view not there yet) is asked again next time.
    columns.catch(() => panelColumns.delete(sql));
  }
  return columns;
}

async function describeColumns(reader: BiReader, who: SqlCredentials, sql: string, params: Record<string, string>): Promise<string[]> {
  // Any code will do for the types; an empty one would meet chDB 3.4's rewrite of `x = ''` into
  // a `.size` subcolumn, which views do not have.
  const typed = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v === '' ? '-' : v]));
  const described = await reader.select<{ name: string }>(who, `DESCRIBE (${sql.replace(/\s+SETTINGS\s+[^()]*$/i, '')})`, typed);
  return described.map((d) => d.name);
}

export async function resolveFilters(reader: BiReader, who: SqlCredentials, definition: DashboardDefinition, query: Readonly<Record<string, unknown>>): Promise<DashboardFilters> {
  const filters = parseFilters(query, await latestDay(reader, who));
  if (!definition.defaults || definition.defaults.fills.every((f) => filters[f] !== '')) return filters;
  const [row] = await reader.select<Record<string, string | null>>(who, definition.defaults.sql, filterParams(filters));
  const filled: Record<string, string> = { ...filters };
  for (const f of definition.defaults.fills) if (filled[f] === '' && row?.[f]) filled[f] = row[f]!;
  return filled as unknown as DashboardFilters;
}

export async function runPanel(reader: BiReader, who: SqlCredentials, definition: DashboardDefinition, panelId: string, filters: DashboardFilters): Promise<PanelData | undefined> {
  const panel = definition.panels.find((p) => p.id === panelId);
  if (!panel) return undefined;
  const params = filterParams(filters);
  const [columns, objects] = await Promise.all([
    columnsOf(reader, who, panel.sql, params),
    (panel.requires ?? []).some((f) => filters[f] === '') ? Promise.resolve([]) : reader.select(who, panel.sql, params),
  ]);
  return {
    id: panel.id,
    title: panel.title,
    caption: panel.caption,
    chart: panel.chart,
    ...(panel.x !== undefined ? { x: panel.x } : {}),
    ...(panel.series !== undefined ? { series: panel.series } : {}),
    ...(panel.money !== undefined ? { money: panel.money } : {}),
    ...(panel.barLabel !== undefined ? { barLabel: panel.barLabel } : {}),
    columns,
    labels: columnLabels(columns, panel.labels),
    rows: tabulate(columns, objects),
  };
}

/**
 * The whole page. A panel whose query fails (a limit of the user's, the engine busy) comes back
 * with its error and no rows, so the rest of the page still draws; the failure is handed to
 * `onPanelError` to be logged once.
 */
export async function runDashboard(
  reader: BiReader,
  who: SqlCredentials,
  definition: DashboardDefinition,
  query: Readonly<Record<string, unknown>>,
  onPanelError: (panel: string, error: unknown) => void,
): Promise<DashboardData> {
  const filters = await resolveFilters(reader, who, definition, query);
  const panel = async (p: PanelDefinition): Promise<PanelData> => {
    try {
      return (await runPanel(reader, who, definition, p.id, filters))!;
    } catch (error) {
      onPanelError(p.id, error);
      const message = error instanceof SqlEndpointError ? error.message.replace(/\s*\(version [^)]*\)/, '').split('. (')[0]! : 'the panel could not be read';
      return { id: p.id, title: p.title, caption: p.caption, chart: p.chart, columns: [], labels: {}, rows: [], error: message };
    }
  };
  const [choices, ...panels] = await Promise.all([filterChoices(reader, who), ...definition.panels.map(panel)]);
  return { dashboard: definition.name, title: definition.title, audience: definition.audience, filters, choices, panels };
}

export async function liveFingerprint(reader: BiReader, who: SqlCredentials): Promise<string> {
  const [row] = await reader.select(who, FINGERPRINT, {});
  return JSON.stringify(row ?? {});
}
