/**
 * State stores owned by the runtime, handed to a task through its context (TaskDeps.stores).
 *
 * A store is a key-value map the task reads and writes synchronously. The runtime saves what
 * changed with every flush (after the rows derived from it, before the commit), together with
 * the input offsets the snapshot covers, in one write per task, so a snapshot lands whole or not
 * at all. At task start the stores are restored from the latest snapshot, and `applied(record)`
 * says whether the restored state already holds a record's effect (its offset is below what the
 * snapshot covered): a restart re-reads from the committed offset, which may be older than the
 * snapshot (a crash between the two), and a task skips the effects it would apply twice.
 *
 * Open stores in `createTask` (await `open`) before the first record: `applied` answers from
 * what the first `open` restored. Values must be JSON. A snapshot holds each changed value as
 * JSON text, written when the snapshot is taken: the task keeps processing (and may change a
 * value in place) while the snapshot waits for the rows before it to be written, and the next
 * flush's snapshot may be taken before this one is saved (core.ts: flushLocked).
 */

export interface KeyValueStore<V> {
  get(key: string): V | undefined;
  has(key: string): boolean;
  /** Saved with the next flush. A value changed in place must be put again to be saved. */
  put(key: string, value: V): void;
  delete(key: string): void;
  entries(): IterableIterator<[string, V]>;
  readonly size: number;
}

export interface StateStores {
  /** The consumer group whose tasks own these stores (see StateSnapshot.owner). */
  readonly owner: string;
  /** This task's store `name`, restored from its latest snapshot. */
  open<V>(name: string): Promise<KeyValueStore<V>>;
  /**
   * True when the restored snapshot covered this record: its effects on the stores are there
   * already. False for every record of a task that restored nothing.
   */
  applied(record: { readonly topic: string; readonly offset: number }): boolean;
}

/** One store's changes in a snapshot: a value as JSON text, or null for a deleted key. */
export interface StoreChanges {
  readonly store: string;
  readonly changes: readonly (readonly [key: string, json: string | null])[];
}

/** What one flush saves for one task. */
export interface StateSnapshot {
  /**
   * The consumer group whose tasks own the stores: a new group reprocesses from the start, so it
   * starts with empty stores (a rebuild must not restore, nor be judged against, the live run's).
   */
  readonly owner: string;
  readonly partition: number;
  /** Next offset per input topic: every record before it is in the snapshot. */
  readonly covered: Readonly<Record<string, number>>;
  readonly version: number;
  readonly stores: readonly StoreChanges[];
}

export interface RestoredStore {
  readonly entries: readonly (readonly [key: string, value: unknown])[];
}

/** Where snapshots are kept: a ClickHouse table in production, memory in the test driver. */
export interface StateBackend {
  /** The latest value of every live key of a task's store. */
  loadStore(owner: string, partition: number, store: string): Promise<RestoredStore>;
  /** The covered offsets and version of a task's latest snapshot, if any. */
  loadCovered(owner: string, partition: number): Promise<{ covered: Record<string, number>; version: number } | undefined>;
  /** Saves a flush's snapshots (one per task) in one write: each lands whole or not at all. */
  save(snapshots: readonly StateSnapshot[]): Promise<void>;
}

export const COVERED_STORE = '__covered';

class MapStore<V> implements KeyValueStore<V> {
  readonly map = new Map<string, V>();
  /** Keys changed since the last snapshot. */
  readonly dirty = new Set<string>();

  get(key: string): V | undefined {
    return this.map.get(key);
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  put(key: string, value: V): void {
    this.map.set(key, value);
    this.dirty.add(key);
  }
  delete(key: string): void {
    if (this.map.delete(key)) this.dirty.add(key);
  }
  entries(): IterableIterator<[string, V]> {
    return this.map.entries();
  }
  get size(): number {
    return this.map.size;
  }
}

/** A store in memory alone, never saved: for unit tests of a task's logic and the quality scorers. */
export function inMemoryStore<V>(): KeyValueStore<V> {
  return new MapStore<V>();
}

/** A task's stores, as the runtime drives them. */
export class TaskStateStores implements StateStores {
  private readonly stores = new Map<string, MapStore<unknown>>();
  private covered: Record<string, number> = {};
  private version = 0;
  private restoredCovered = false;
  private restoring: Promise<void> | undefined;

  constructor(
    private readonly backend: StateBackend,
    readonly owner: string,
    private readonly partition: number,
  ) {}

  /**
   * Reads the covered offsets, once, at the first `open`: a task that opens no store never
   * reads the state table (the archive writes to a database without one).
   */
  restore(): Promise<void> {
    this.restoring ??= this.readCovered();
    return this.restoring;
  }

  private async readCovered(): Promise<void> {
    const found = await this.backend.loadCovered(this.owner, this.partition);
    if (found) {
      this.covered = found.covered;
      this.version = found.version;
      this.restoredCovered = true;
    }
  }

  async open<V>(name: string): Promise<KeyValueStore<V>> {
    if (name === COVERED_STORE) throw new RangeError(`${COVERED_STORE} is the runtime's own store name`);
    await this.restore();
    let store = this.stores.get(name);
    if (!store) {
      store = new MapStore<unknown>();
      if (this.restoredCovered) for (const [key, value] of (await this.backend.loadStore(this.owner, this.partition, name)).entries) store.map.set(key, value);
      this.stores.set(name, store);
    }
    return store as MapStore<V>;
  }

  applied(record: { readonly topic: string; readonly offset: number }): boolean {
    return record.offset < (this.covered[record.topic] ?? 0);
  }

  get isUsed(): boolean {
    return this.stores.size > 0;
  }

  /**
   * The changes since the last snapshot, covering `next` (next offset per input topic read
   * since; topics not read keep what was covered). Undefined when no store was opened.
   */
  takeSnapshot(next: ReadonlyMap<string, number>): StateSnapshot | undefined {
    if (this.stores.size === 0) return undefined;
    const covered = { ...this.covered };
    for (const [topic, offset] of next) covered[topic] = Math.max(covered[topic] ?? 0, offset);
    const changes: StoreChanges[] = [];
    for (const [name, store] of this.stores) {
      if (store.dirty.size === 0) continue;
      // As text now, not a reference: what the store holds at this flush, whatever the task does next.
      changes.push({ store: name, changes: [...store.dirty].map((key) => [key, store.map.has(key) ? JSON.stringify(store.map.get(key)) : null] as const) });
      store.dirty.clear();
    }
    const same = Object.keys(covered).length === Object.keys(this.covered).length && Object.entries(covered).every(([t, o]) => this.covered[t] === o);
    if (changes.length === 0 && same) return undefined;
    this.covered = covered;
    return { owner: this.owner, partition: this.partition, covered, version: ++this.version, stores: changes };
  }
}

/**
 * Snapshots in memory, kept across the test driver's restarts (its ClickHouse). Read as the
 * ClickHouse backend reads them: the highest version wins, whatever the order they were saved
 * in, and of equal versions (argMax's choice is arbitrary) the one saved first.
 */
export class MemoryStateBackend implements StateBackend {
  private readonly saved: StateSnapshot[] = [];

  async loadStore(owner: string, partition: number, store: string): Promise<RestoredStore> {
    const latest = new Map<string, { version: number; json: string | null }>();
    for (const s of this.saved) {
      if (s.owner !== owner || s.partition !== partition) continue;
      for (const c of s.stores) {
        if (c.store !== store) continue;
        for (const [key, json] of c.changes) if (s.version > (latest.get(key)?.version ?? Number.NEGATIVE_INFINITY)) latest.set(key, { version: s.version, json });
      }
    }
    return { entries: [...latest].flatMap(([key, { json }]) => (json === null ? [] : [[key, JSON.parse(json) as unknown] as const])) };
  }

  async loadCovered(owner: string, partition: number): Promise<{ covered: Record<string, number>; version: number } | undefined> {
    let last: StateSnapshot | undefined;
    for (const s of this.saved) if (s.owner === owner && s.partition === partition && (!last || s.version > last.version)) last = s;
    return last ? { covered: { ...last.covered }, version: last.version } : undefined;
  }

  async save(snapshots: readonly StateSnapshot[]): Promise<void> {
    for (const snapshot of snapshots) this.saved.push(snapshot);
  }

  /** Snapshots saved, in order (tests). */
  get snapshots(): readonly StateSnapshot[] {
    return this.saved;
  }
}
