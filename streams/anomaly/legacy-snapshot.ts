/**
 * Upgrading from the anomaly processor's own state table (anomaly_state, migration 0007) to the
 * runtime's state stores, once, without losing state.
 *
 * Earlier versions saved the changed series, stores and terminals to anomaly_state with each
 * flush, in one insert with a `meta` row holding, per input topic, the next offset whose effects
 * were not in that state yet. That is exactly a floor: records below it are in the restored
 * state (a replay hands them again only to rebuild the open hour buckets), records from it are
 * not. Only the live consumer group (`shelfstream.anomaly`) upgrades: anomaly_state was that
 * group's, and a rebuild under another group must start empty. A marker in `anomaly-upgrade`
 * says it was done (or there was nothing to upgrade), so anomaly_state is read once, and keeps
 * the floor until the stores' own covered offsets pass it.
 */
import { consumerGroupOf, type InputRecord, type TaskDeps } from '../runtime/processor';
import type { KeyValueStore } from '../runtime/state-store';
import { BookHistory } from './book-history';
import { ANOMALY_PROCESSOR } from './emit';
import { CLOSED_KEY, key2, type ClosedHoursSnapshot, type SeriesSnapshot, type StoreSnapshot, type TerminalSnapshot } from './state';

export const LEGACY_STATE_TABLE = 'anomaly_state';
export const UPGRADE_STORE = 'anomaly-upgrade';

/** A row of anomaly_state as read back. */
export interface LegacyRow {
  readonly store_id: string;
  readonly entity: string;
  readonly state: string;
}

interface Targets {
  readonly series: KeyValueStore<SeriesSnapshot>;
  readonly stores: KeyValueStore<StoreSnapshot>;
  readonly terminals: KeyValueStore<TerminalSnapshot>;
  readonly hours: KeyValueStore<ClosedHoursSnapshot>;
}

export interface Upgrade {
  /** True when the state restored from anomaly_state holds the record's effect. */
  applied(record: Pick<InputRecord, 'topic' | 'offset'>): boolean;
}

export async function restoreLegacySnapshot(deps: Pick<TaskDeps, 'stores' | 'query' | 'database' | 'logger'>, partition: number, target: Targets): Promise<Upgrade> {
  const marker = await deps.stores.open<Record<string, number>>(UPGRADE_STORE);
  let floor = marker.get('floor');
  if (!floor) {
    floor = {};
    const empty = target.series.size === 0 && target.stores.size === 0 && target.terminals.size === 0 && target.hours.size === 0;
    if (deps.stores.owner === consumerGroupOf({ name: ANOMALY_PROCESSOR }) && empty) {
      const rows = await deps.query<LegacyRow>(
        `SELECT store_id, entity, argMax(state, version) AS state FROM ${deps.database}.${LEGACY_STATE_TABLE} WHERE partition = {partition:UInt16} GROUP BY store_id, entity`,
        { partition },
      );
      floor = upgradeRows(rows, target);
      deps.logger.info({ partition, rows: rows.length, floor }, 'anomaly state upgraded from anomaly_state to the runtime state stores');
    }
    marker.put('floor', floor);
  }
  const saved = floor;
  return { applied: (record) => record.offset < (saved[record.topic] ?? 0) };
}

/** Old rows into the new stores; answers the floor (the meta row's next offsets). */
export function upgradeRows(rows: readonly LegacyRow[], target: Targets): Record<string, number> {
  let floor: Record<string, number> = {};
  for (const r of rows) {
    const state = JSON.parse(r.state) as Record<string, unknown>;
    if (r.entity === 'meta') {
      const m = state as { salesClosedThrough: number | null; voidsClosedThrough: number | null; next: Record<string, number> };
      target.hours.put(CLOSED_KEY, { salesClosedThrough: m.salesClosedThrough, voidsClosedThrough: m.voidsClosedThrough });
      floor = { ...m.next };
    } else if (r.entity === 'store') {
      target.stores.put(r.store_id, { timeZone: typeof state.timeZone === 'string' ? state.timeZone : null, baseline: state.baseline as StoreSnapshot['baseline'], dispersion: state.dispersion as StoreSnapshot['dispersion'] });
    } else if (r.entity.startsWith('series:')) {
      const sku = r.entity.slice('series:'.length);
      target.series.put(key2(r.store_id, sku), {
        storeId: r.store_id,
        sku,
        baseline: state.baseline as SeriesSnapshot['baseline'],
        evidence: state.evidence as SeriesSnapshot['evidence'],
        books: (state.books as SeriesSnapshot['books'] | undefined) ?? new BookHistory().toJSON(),
        shelfPrice: state.shelfPrice as number | null,
        deviant: state.deviant as SeriesSnapshot['deviant'],
        promo: Array.isArray(state.promo) ? (state.promo as [number, boolean][]) : [],
        alerts: state.alerts as SeriesSnapshot['alerts'],
        judgedThrough: (state.judgedThrough as number | null | undefined) ?? null,
        // Absent from rows written before it was kept: the series started before anything judged.
        firstSeen: (state.firstSeen as number | null | undefined) ?? null,
      });
    } else if (r.entity.startsWith('terminal:')) {
      const terminalId = r.entity.slice('terminal:'.length);
      const t = state as { rate: number; hours: number; alert: TerminalSnapshot['alert'] };
      target.terminals.put(key2(r.store_id, terminalId), { storeId: r.store_id, terminalId, rate: t.rate, hours: t.hours, alert: t.alert });
    }
  }
  return floor;
}
