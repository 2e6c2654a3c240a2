/**
 * Deletions of master data through the runtime's test driver: tombstones on md.stores and
 * md.products reach the warehouse (it declares `tombstones`), placed by their Kafka timestamp,
 * and become the last version of the row marked deleted; a processor that does not declare
 * them never sees a null value. Expected rows are written out here from what was piped.
 */
import type { Product, Store } from '../../schemas/generated/events';
import type { InputRecord, PartitionTask, ProcessorDefinition, Row } from '../runtime/processor';
import { TestDriver } from '../runtime/test-driver';
import { deletedRow, warehouseProcessor } from './warehouse';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const DELETED_AT = T0 + 3_600_000;

const store: Store = { store_id: 'S9', name: 'Quay Street', region: 'NORTH', time_zone: 'Europe/Dublin', opening_hours: [], size_class: 'SMALL', currency: 'EUR', opened_on: 20_000, vat_rate: 0.23, holiday_calendar: null, updated_at: T0 };
const product: Product = { sku: 'SKU-9', name: 'Oat milk 1l', category: 'DAIRY', brand: 'Oatly', unit_cost: 90, price: 199, currency: 'EUR', perishable: true, shelf_life_days: 10, updated_at: T0 };

/** What ReplacingMergeTree(updated_at) keeps of a dimension: per key, the newest version (an ISO string here). */
function current(d: TestDriver, table: string, key: string): Row[] {
  const latest = new Map<string, Row>();
  for (const row of d.rows(table)) {
    const kept = latest.get(String(row[key]));
    if (!kept || Date.parse(String(row['updated_at'])) >= Date.parse(String(kept['updated_at']))) latest.set(String(row[key]), row);
  }
  return [...latest.values()];
}

function driver(): TestDriver {
  return new TestDriver(warehouseProcessor(), { startMs: T0 + 86_400_000 });
}

describe('warehouse: deletions of stores and products (tombstones)', () => {
  it('marks the store and the product deleted at the tombstone time, keeping their last attributes', async () => {
    const d = driver();
    await d.pipe('md.stores', 0, { key: 'S9', value: store });
    await d.pipe('md.products', 0, { key: 'SKU-9', value: product });
    await d.pipe('md.stores', 0, { key: 'S9', value: null, timestamp: DELETED_AT });
    await d.pipe('md.products', 0, { key: 'SKU-9', value: null, timestamp: DELETED_AT });
    await d.flush();

    const [storeRow] = current(d, 'dim_store', 'store_id');
    expect(current(d, 'dim_store', 'store_id')).toHaveLength(1);
    expect(storeRow).toMatchObject({ store_id: 'S9', region: 'NORTH', name: 'Quay Street', is_deleted: 1, deleted_at: '2026-11-23T11:00:00.000Z', updated_at: '2026-11-23T11:00:00.000Z' });
    expect(current(d, 'dim_product', 'sku')).toEqual([
      expect.objectContaining({ sku: 'SKU-9', category: 'DAIRY', is_deleted: 1, deleted_at: '2026-11-23T11:00:00.000Z' }),
    ]);
    // Both records and both tombstones are committed: nothing waits behind a deletion.
    expect(d.committed('md.stores', 0)?.offset).toBe(2);
    expect(d.committed('md.products', 0)?.offset).toBe(2);
    expect(d.deadLetters()).toEqual([]);
  });

  it('remembers the last version across a restart (the runtime state store)', async () => {
    const d = driver();
    await d.pipe('md.stores', 0, { key: 'S9', value: store });
    await d.flush();
    await d.restart();
    await d.pipe('md.stores', 0, { key: 'S9', value: null, timestamp: DELETED_AT });
    await d.flush();
    expect(current(d, 'dim_store', 'store_id')).toEqual([expect.objectContaining({ store_id: 'S9', region: 'NORTH', is_deleted: 1 })]);
  });

  it('writes nothing for a deletion of a key it never saw (compaction dropped its versions)', async () => {
    const d = driver();
    await d.pipe('md.stores', 0, { key: 'S404', value: null, timestamp: DELETED_AT });
    await d.flush();
    expect(d.rows('dim_store')).toEqual([]);
    expect(d.committed('md.stores', 0)?.offset).toBe(1);
  });

  it('lets a store created again after its deletion exist again', async () => {
    const d = driver();
    await d.pipe('md.stores', 0, [
      { key: 'S9', value: store },
      { key: 'S9', value: null, timestamp: DELETED_AT },
      { key: 'S9', value: { ...store, name: 'Quay Street (reopened)', updated_at: DELETED_AT + 60_000 } },
    ]);
    await d.flush();
    expect(current(d, 'dim_store', 'store_id')).toEqual([expect.objectContaining({ name: 'Quay Street (reopened)', is_deleted: 0, deleted_at: null })]);
  });
});

describe('deletedRow', () => {
  it('versions the deletion after the last version when the tombstone is stamped before it', () => {
    const last = { store_id: 'S9', updated_at: '2026-11-23T10:00:00.000Z', is_deleted: 0, deleted_at: null };
    expect(deletedRow(last, T0 - 5_000)).toEqual({ store_id: 'S9', updated_at: '2026-11-23T10:00:00.001Z', is_deleted: 1, deleted_at: '2026-11-23T09:59:55.000Z' });
  });
});

describe('runtime: tombstones', () => {
  /** Records each value it is handed, null included; `tombstones` as given. */
  function recorder(tombstones: boolean, seen: unknown[]): ProcessorDefinition {
    return {
      name: 'recorder',
      inputs: ['md.stores'],
      tables: [],
      tombstones,
      createTask: (): PartitionTask => ({
        process: (record: InputRecord) => void seen.push(record.value === null ? `deleted ${record.key} at ${record.timestamp}` : (record.value as Store).store_id),
        punctuate: () => undefined,
        earliestNeededOffset: () => undefined,
        checkpoint: () => '',
      }),
    };
  }

  it('skips tombstones for a processor that does not declare them, and commits past them', async () => {
    const seen: unknown[] = [];
    const d = new TestDriver(recorder(false, seen), { startMs: T0 + 86_400_000 });
    await d.pipe('md.stores', 0, [{ key: 'S9', value: store }, { key: 'S9', value: null, timestamp: DELETED_AT }]);
    await d.flush();
    expect(seen).toEqual(['S9']);
    expect(d.committed('md.stores', 0)?.offset).toBe(2);
  });

  it('hands them, with their key and Kafka timestamp, to a processor that declares them', async () => {
    const seen: unknown[] = [];
    const d = new TestDriver(recorder(true, seen), { startMs: T0 + 86_400_000 });
    await d.pipe('md.stores', 0, [{ key: 'S9', value: store }, { key: 'S9', value: null, timestamp: DELETED_AT }]);
    await d.flush();
    expect(seen).toEqual(['S9', `deleted S9 at ${DELETED_AT}`]);
  });
});
