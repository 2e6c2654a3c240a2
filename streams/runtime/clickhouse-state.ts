/**
 * The state stores' snapshots in ClickHouse (table processor_state, migration 0014): one insert
 * per task and flush holding every changed key and the covered offsets (the `__covered` row),
 * so a snapshot lands whole or not at all; restored with argMax by version (no FINAL needed).
 */
import { createHash } from 'node:crypto';
import type { SinkWrite } from './clickhouse-sink';
import { COVERED_STORE, type RestoredStore, type StateBackend, type StateSnapshot } from './state-store';

export const STATE_TABLE = 'processor_state';

export class ClickHouseStateBackend implements StateBackend {
  constructor(
    private readonly query: <T>(sql: string, params?: Record<string, unknown>) => Promise<T[]>,
    private readonly write: (write: SinkWrite) => Promise<void>,
    private readonly database: string,
  ) {}

  async loadCovered(owner: string, partition: number): Promise<{ covered: Record<string, number>; version: number } | undefined> {
    // Aliases other than the column names: ClickHouse would read `version` inside argMax as the alias.
    const rows = await this.query<{ latest_value: string; latest_version: string }>(
      `SELECT argMax(value, version) AS latest_value, max(version) AS latest_version FROM ${this.database}.${STATE_TABLE}
       WHERE consumer_group = {owner:String} AND input_partition = {partition:UInt32} AND store = {store:String} HAVING count() > 0`,
      { owner, partition, store: COVERED_STORE },
    );
    const row = rows[0];
    return row ? { covered: JSON.parse(row.latest_value) as Record<string, number>, version: Number(row.latest_version) } : undefined;
  }

  async loadStore(owner: string, partition: number, store: string): Promise<RestoredStore> {
    const rows = await this.query<{ key: string; latest_value: string }>(
      `SELECT key, argMax(value, version) AS latest_value FROM ${this.database}.${STATE_TABLE}
       WHERE consumer_group = {owner:String} AND input_partition = {partition:UInt32} AND store = {store:String}
       GROUP BY key HAVING argMax(deleted, version) = false`,
      { owner, partition, store },
    );
    return { entries: rows.map((r) => [r.key, JSON.parse(r.latest_value) as unknown] as const) };
  }

  /**
   * One insert for every task of a flush: a part per flush rather than per partition (a
   * processor with 12 partitions flushing every second would otherwise add 12 parts a second).
   */
  async save(snapshots: readonly StateSnapshot[]): Promise<void> {
    if (snapshots.length === 0) return;
    const rows: Record<string, unknown>[] = [];
    for (const snapshot of snapshots) {
      const base = { consumer_group: snapshot.owner, input_partition: snapshot.partition, version: snapshot.version };
      rows.push({ ...base, store: COVERED_STORE, key: '', value: JSON.stringify(snapshot.covered), deleted: false });
      for (const s of snapshot.stores) {
        for (const [key, json] of s.changes) rows.push({ ...base, store: s.store, key, value: json ?? 'null', deleted: json === null });
      }
    }
    // The token names these exact snapshots: a retried insert that landed is dropped, other
    // snapshots (after a crash, the same offsets) are not.
    const names = snapshots.map((s) => `${s.owner}:${s.partition}:${s.version}:${JSON.stringify(s.covered)}`).join(',');
    await this.write({ table: STATE_TABLE, rows, token: `state:${createHash('sha256').update(names).digest('hex').slice(0, 32)}` });
  }
}
