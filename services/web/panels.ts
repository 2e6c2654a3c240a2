/**
 * What a dashboard is made of: panels, each one fixed query (bound parameters only) whose
 * result is both the chart and its data table, so what is drawn is what is downloaded. A panel
 * names its chart kind and which columns are its x axis and its series; the page draws it
 * (public/app.js) and offers the rows as a table and as CSV.
 *
 * Panel queries live one file per dashboard (./dashboards/), so pointing a panel at a new view
 * is an edit of one query text.
 */
import type { ColumnLabel } from './column-labels';
import type { DashboardFilters } from './filters';

export type ChartKind = 'line' | 'band' | 'bar' | 'table';

export interface PanelDefinition {
  readonly id: string;
  readonly title: string;
  /** One sentence under the title: what the numbers are, and their unit. */
  readonly caption: string;
  readonly chart: ChartKind;
  /** The x axis column (line/band: a date or hour; bar: a label). Not used by tables. */
  readonly x?: string;
  /** The plotted columns; band: [p10, p50, p90, actual]. */
  readonly series?: readonly string[];
  /** Columns holding money in the reporting currency: the page names the currency on their axis and table header. */
  readonly money?: readonly string[];
  /** Headers of this panel that say more than the shared vocabulary (./column-labels.ts), by column. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Bar charts: columns whose values, joined, label a bar on screen (the x column, a code, stays the key). */
  readonly barLabel?: readonly string[];
  /** The query: `${database}` and `{name:Type}` parameters from the filters (region, store, category, from, to, sku). */
  readonly sql: string;
  /** Filters without which the panel has nothing to show (the store manager's store): it then shows no rows, and runs no query. */
  readonly requires?: readonly (keyof DashboardFilters)[];
}

/** Filters a dashboard fills in itself when the URL leaves them empty (the store manager's store and sku). */
export interface DashboardDefaults {
  /** A query answering one row whose columns name filters to fill (e.g. `store`, `sku`), run with the filters given. */
  readonly sql: string;
  readonly fills: readonly (keyof DashboardFilters)[];
}

export interface DashboardDefinition {
  readonly name: string;
  readonly title: string;
  /** Who it is for, shown under the title. */
  readonly audience: string;
  readonly defaults?: DashboardDefaults;
  readonly panels: readonly PanelDefinition[];
}

export type Cell = string | number | boolean | null;

export interface PanelData {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly chart: ChartKind;
  readonly x?: string;
  readonly series?: readonly string[];
  readonly money?: readonly string[];
  readonly barLabel?: readonly string[];
  readonly columns: readonly string[];
  /** What the page shows for each column, and how it writes its values. */
  readonly labels: Readonly<Record<string, ColumnLabel>>;
  readonly rows: readonly (readonly Cell[])[];
  /** Why the panel shows nothing, when its query failed (a time limit, the engine busy). */
  readonly error?: string;
}

/** Rows of JSON objects as columns and row arrays; `columns` keeps the query's order even when no row came back. */
export function tabulate(columns: readonly string[], objects: readonly Record<string, unknown>[]): (readonly Cell[])[] {
  return objects.map((o) => columns.map((c) => {
    const v = o[c];
    return v === undefined ? null : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? v : JSON.stringify(v);
  }));
}

/** RFC 4180 CSV: a header line, then one line per row; fields quoted when they hold a comma, quote or line break. */
export function toCsv(columns: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const field = (v: Cell): string => {
    const s = v === null ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns, ...rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}
