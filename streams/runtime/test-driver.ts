/**
 * The runtime's test driver (after Kafka Streams' TopologyTestDriver): runs a processor on the
 * runtime's real core (core.ts: decode, tasks, aligner, timers, buffer, durable write, commit
 * plan) with the broker and ClickHouse replaced by memory, so its guarantees are unit-tested
 * without services. A test helper, not production code.
 *
 * - `pipe` appends records to a topic-partition's log (decoded values are Avro-encoded with the
 *   catalogue's schemas; bytes pass as given; null is a tombstone) and lets the consumer fetch
 *   them, in batches of `batchSize`, as kafkajs would; `holdFetches` keeps a topic's records in
 *   the broker, not fetched, until `releaseFetches` (a slow fetch).
 * - `advanceWallClock` moves the wall clock and runs the runtime's tick (background flush,
 *   wall-clock timers). Event time moves only with records, as in Kafka Streams: pipe a record
 *   with a later `occurred_at` to advance a task's stream time.
 * - `rows`, `finalRows`, `deadLetters`, `published`, `committed` and `effects` read what became
 *   durable, in the order it did.
 * - `failWrites` makes the next inserts fail (before or after they land), `crash` loses the
 *   process (its buffer and any write in flight), `restart` starts a new one from the committed
 *   offsets and checkpoints, and `rebalance` starts a new group generation with another
 *   assignment.
 * - The definition's global tables (master data) are read from the driver's own logs of their
 *   topics: `pipe` to one appends, and the table reads it at the task's barrier (`catchUp`) or
 *   when a task is created, not at once, as a reader that lags the broker would.
 * The ClickHouse in memory keeps every insert (`rows`) and drops an insert whose deduplication
 * token it has seen for that table, as the tables do (non_replicated_deduplication_window).
 */
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import pino from 'pino';
import { ShelfStreamError } from '../../lib/errors';
import { EventCodec } from '../../lib/events/codec';
import { createMetrics } from '../../lib/metrics';
import { loadCatalog } from '../../schemas/catalog';
import type { SinkWrite } from './clickhouse-sink';
import type { OffsetCommit } from './commit-plan';
import { ProcessorCore, type CommittedOffset, type PartitionEnds } from './core';
import type { RecordCodec } from './decode';
import type { OutputPorts } from './durable-write';
import type { GlobalTableView } from './global-table';
import type { ProcessorDefinition, Row } from './processor';
import { MemoryStateBackend } from './state-store';

export interface PipedRecord {
  readonly key?: string | null;
  /** A decoded value (encoded with the topic's contract schema), bytes as they are, or null (a tombstone). */
  readonly value: unknown;
  /** Kafka timestamp (ms); defaults to the value's occurred_at, else the wall clock. */
  readonly timestamp?: number;
  readonly headers?: IHeaders;
}

export interface DriverOptions {
  readonly flushIntervalMs?: number;
  readonly maxBufferedRows?: number;
  /** Records per fetched batch. */
  readonly batchSize?: number;
  /** Wall clock at start (ms). */
  readonly startMs?: number;
  readonly deadLetterTopic?: string;
  /** The consumer group: owns the state stores (the processor's name by default). */
  readonly group?: string;
  /** Where state snapshots are kept; share one between drivers to model one ClickHouse. */
  readonly state?: MemoryStateBackend;
  /**
   * Partitions each input has from the start (as topics created by `init`): a `restart` or
   * `rebalance` assigns them, and so creates their tasks, before any record is piped to them.
   * Partitions piped to are added.
   */
  readonly partitions?: number;
  /** CoreOptions.yieldAfterMs: a batch runs in one go by default. */
  readonly yieldAfterMs?: number;
  /** Answers a task's ClickHouse reads (TaskDeps.query); none by default. */
  readonly query?: <T>(sql: string, params?: Record<string, unknown>) => Promise<T[]>;
}

/** Something that became durable (or was committed), in the order it did. */
export type DurableEffect =
  | { readonly kind: 'rows'; readonly table: string; readonly rows: readonly Row[]; readonly token: string; readonly duplicate: boolean }
  | { readonly kind: 'produce'; readonly topic: string; readonly messages: readonly Message[] }
  | { readonly kind: 'state'; readonly partition: number; readonly covered: Readonly<Record<string, number>> }
  | { readonly kind: 'commit'; readonly commits: readonly OffsetCommit[] };

export interface DeadLetter {
  readonly code: string;
  readonly reason: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

interface LogEntry {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: IHeaders | undefined;
}

const DEFAULT_DEAD_LETTER_TOPIC = 'shelfstream.dead-letter';

export class TestDriver {
  private readonly codec: EventCodec;
  /** The broker: each topic-partition's records, offset = index. */
  private readonly logs = new Map<string, LogEntry[]>();
  /** The consumer: next offset to fetch, by `topic:partition`. */
  private readonly fetchPositions = new Map<string, number>();
  private readonly paused = new Set<string>();
  /** Topics whose records are in the broker but not fetched yet (holdFetches). */
  private readonly held = new Set<string>();
  /** Partitions assigned to this consumer; undefined = every partition piped to. */
  private assigned: Set<number> | undefined;
  private readonly commitsByKey = new Map<string, CommittedOffset>();
  private readonly tokens = new Map<string, Set<string>>();
  private readonly failures: { remaining: number; table: string | undefined; landed: boolean; canRetry: boolean }[] = [];
  private core: ProcessorCore;
  /** Incremented by a crash: a write of a dead incarnation never lands. */
  private incarnation = 0;
  /** The incarnation of the running core. */
  private liveIncarnation = 0;
  private crashAtEffect: number | undefined;
  private delivering: Promise<void> = Promise.resolve();
  /** While set, state snapshots wait for it before they are saved (holdStateSaves). */
  private stateSavesHeld: Promise<void> | undefined;
  /** While set, commits wait for it, and fail when it rejects (holdCommits). */
  private commitsHeld: Promise<void> | undefined;
  /** Barriers the tasks asked of the global tables (catchUp calls), all tables together. */
  globalCatchUps = 0;
  /** While set, the global tables' barriers wait for it (holdGlobalTables): a reader whose broker is away. */
  private globalTablesHeld: Promise<void> | undefined;
  /** The state stores' snapshots (survive crashes and restarts, as ClickHouse does). */
  readonly state: MemoryStateBackend;
  /** Durable effects, in order. */
  readonly effects: DurableEffect[] = [];
  nowMs: number;

  constructor(
    private readonly definition: ProcessorDefinition,
    private readonly options: DriverOptions = {},
  ) {
    this.codec = EventCodec.offline(loadCatalog());
    this.state = options.state ?? new MemoryStateBackend();
    this.nowMs = options.startMs ?? Date.now();
    this.core = this.newCore();
    // The first join: the fetch loop waits for it, as kafkajs fetches after GROUP_JOIN.
    this.delivering = this.core.assign(this.assignment());
  }

  private newCore(): ProcessorCore {
    const incarnation = this.incarnation;
    const alive = (): void => {
      if (this.crashAtEffect !== undefined && this.effects.length >= this.crashAtEffect) {
        this.crashAtEffect = undefined;
        this.crash();
      }
      if (incarnation !== this.incarnation) throw new ShelfStreamError('SERVICE_UNAVAILABLE', 'this process crashed', { canRetry: false });
    };
    const outputs: OutputPorts = {
      produce: async (topic, messages) => {
        alive();
        this.effects.push({ kind: 'produce', topic, messages: [...messages] });
      },
      writeRows: async (write) => {
        alive();
        this.insert(write);
      },
      saveState: async (snapshots) => {
        alive();
        if (this.stateSavesHeld) await this.stateSavesHeld;
        alive();
        await this.state.save(snapshots);
        for (const snapshot of snapshots) this.effects.push({ kind: 'state', partition: snapshot.partition, covered: snapshot.covered });
      },
      commit: async (commits) => {
        alive();
        if (this.commitsHeld) await this.commitsHeld;
        alive();
        for (const c of commits) this.commitsByKey.set(`${c.topic}:${c.partition}`, { offset: Number(c.offset), metadata: c.metadata });
        this.effects.push({ kind: 'commit', commits: [...commits] });
      },
    };
    const logger = pino({ level: 'silent' });
    return new ProcessorCore(
      this.definition,
      {
        codec: this.codec as RecordCodec,
        logger,
        metrics: createMetrics('test-driver', { collectDefaults: false }),
        outputs,
        clock: () => this.nowMs,
        state: this.state,
        globalTables: new Map((this.definition.globalTables ?? []).map((topic) => [topic, this.globalTable(topic)])),
        query: this.options.query ?? (() => Promise.reject(new Error('the test driver answers no ClickHouse query (DriverOptions.query)'))),
        source: {
          loadCommitted: async () => new Map(this.commitsByKey),
          loadEnds: async () => {
            // Every input exists on every partition piped to or declared (as topics created by `init` do), empty until piped.
            const ends = new Map<string, PartitionEnds>();
            const partitions = new Set([...this.logs.keys()].map((key) => Number(key.slice(key.lastIndexOf(':') + 1))));
            for (let p = 0; p < (this.options.partitions ?? 0); p++) partitions.add(p);
            for (const topic of this.definition.inputs) for (const p of partitions) ends.set(`${topic}:${p}`, { low: 0, high: this.logs.get(`${topic}:${p}`)?.length ?? 0 });
            return ends;
          },
          seek: (topic, partition, offset) => this.fetchPositions.set(`${topic}:${partition}`, offset),
          pause: (topic, partition) => this.paused.add(`${topic}:${partition}`),
          resume: (topic, partition) => this.paused.delete(`${topic}:${partition}`),
        },
      },
      {
        flushIntervalMs: this.options.flushIntervalMs ?? 1_000,
        maxBufferedRows: this.options.maxBufferedRows ?? 10_000,
        deadLetterTopic: this.options.deadLetterTopic ?? DEFAULT_DEAD_LETTER_TOPIC,
        database: 'test_driver',
        ...(this.options.group ? { stateOwner: this.options.group } : {}),
        ...(this.options.yieldAfterMs !== undefined ? { yieldAfterMs: this.options.yieldAfterMs } : {}),
        writeRetry: { initialDelayMs: 1, maxDelayMs: 2 },
      },
    );
  }

  /**
   * An in-memory global table over the driver's log of `topic`: values keyed by record key,
   * decoded with the catalogue's schemas. It reads what was piped only at `catchUp` (the barrier),
   * so a test can pipe a key after the task started and see whether the task waits for it.
   */
  private globalTable(topic: string): GlobalTableView<unknown> {
    const values = new Map<string, unknown>();
    const read = new Map<string, number>();
    return {
      get: (key) => values.get(key),
      catchUp: async () => {
        this.globalCatchUps++;
        if (this.globalTablesHeld) await this.globalTablesHeld;
        for (const [logKey, log] of this.logs) {
          if (logKey.slice(0, logKey.lastIndexOf(':')) !== topic) continue;
          for (let i = read.get(logKey) ?? 0; i < log.length; i++) {
            const entry = log[i]!;
            if (entry.key === null) continue;
            if (entry.value === null) values.delete(entry.key.toString('utf8'));
            else values.set(entry.key.toString('utf8'), this.codec.readKnown(entry.value));
          }
          read.set(logKey, log.length);
        }
      },
    };
  }

  private insert(write: SinkWrite): void {
    const failure = this.failures.find((f) => f.remaining > 0 && (f.table === undefined || f.table === write.table));
    let seen = this.tokens.get(write.table);
    if (!seen) this.tokens.set(write.table, (seen = new Set()));
    const duplicate = seen.has(write.token);
    const land = (): void => {
      seen.add(write.token);
      this.effects.push({ kind: 'rows', table: write.table, rows: [...write.rows], token: write.token, duplicate });
    };
    if (failure) {
      failure.remaining--;
      // A timeout whose insert did land: ClickHouse has the rows, the client an error.
      if (failure.landed) land();
      throw new ShelfStreamError('SERVICE_UNAVAILABLE', `simulated failure of the insert into ${write.table}`, { canRetry: failure.canRetry });
    }
    land();
  }

  /** Appends records to a topic-partition and lets the consumer fetch what it can. */
  async pipe(topic: string, partition: number, records: PipedRecord | readonly PipedRecord[]): Promise<void> {
    this.append(topic, partition, Array.isArray(records) ? (records as readonly PipedRecord[]) : [records as PipedRecord]);
    await this.fetchAll();
  }

  /**
   * Appends to several topic-partitions, then lets the consumer fetch: every input is in the
   * broker before the first fetch, as in a catch-up or a replay (a co-partitioned task is then
   * handed its inputs in event-time order, whatever the fetch order).
   */
  async pipeAll(batches: readonly { readonly topic: string; readonly partition: number; readonly records: readonly PipedRecord[] }[]): Promise<void> {
    for (const b of batches) this.append(b.topic, b.partition, b.records);
    await this.fetchAll();
  }

  private append(topic: string, partition: number, records: readonly PipedRecord[]): void {
    const key = `${topic}:${partition}`;
    let log = this.logs.get(key);
    if (!log) this.logs.set(key, (log = []));
    const contract = this.definition.contracts?.[topic] ?? topic;
    for (const r of records) {
      const occurredAt = (r.value as { occurred_at?: unknown } | null)?.occurred_at;
      const value = r.value === null ? null : Buffer.isBuffer(r.value) ? r.value : Buffer.from(this.codec.encode(contract, r.value));
      log.push({ key: r.key === undefined || r.key === null ? null : Buffer.from(r.key), value, timestamp: r.timestamp ?? (typeof occurredAt === 'number' ? occurredAt : this.nowMs), headers: r.headers });
    }
  }

  /** Fetches every assigned, unpaused partition to its end, batch by batch, round robin. */
  private fetchAll(): Promise<void> {
    if (this.crashed) return Promise.resolve(); // a dead process fetches nothing until `restart`
    const core = this.core;
    const incarnation = this.incarnation;
    const run = async (): Promise<void> => {
      for (let progress = true; progress && incarnation === this.incarnation; ) {
        progress = false;
        for (const [key, log] of this.logs) {
          const i = key.lastIndexOf(':');
          const topic = key.slice(0, i);
          const partition = Number(key.slice(i + 1));
          if (!this.definition.inputs.includes(topic) || this.paused.has(key) || this.held.has(topic) || (this.assigned && !this.assigned.has(partition))) continue;
          const from = this.fetchPositions.get(key) ?? this.commitsByKey.get(key)?.offset ?? 0;
          if (from >= log.length) continue;
          const entries = log.slice(from, from + (this.options.batchSize ?? 100));
          const messages: KafkaMessage[] = entries.map((e, n) => ({
            key: e.key,
            value: e.value,
            offset: String(from + n),
            timestamp: String(e.timestamp),
            attributes: 0,
            headers: e.headers ?? {},
          }));
          let outcome;
          try {
            outcome = await core.processBatch({ topic, partition, messages, highWatermark: log.length });
          } catch (error) {
            if (incarnation !== this.incarnation) return; // died mid-batch: nothing more of it
            throw error;
          }
          if (incarnation !== this.incarnation) return;
          if (outcome === 'processed') this.fetchPositions.set(key, from + entries.length);
          // Skipped: a stop began (the core takes no more batches), so the loop ends here.
          if (outcome !== 'skipped') progress = true;
        }
      }
    };
    // One fetch loop at a time, as one consumer.
    this.delivering = this.delivering.then(run, run);
    return this.delivering;
  }

  /** Records of `topic` stay in the broker, unfetched, until `releaseFetches` (a slow fetch). */
  holdFetches(topic: string): void {
    this.held.add(topic);
  }

  async releaseFetches(topic: string): Promise<void> {
    this.held.delete(topic);
    await this.fetchAll();
  }

  /** Moves the wall clock and runs the runtime's tick (background flush, wall-clock timers). */
  async advanceWallClock(ms: number): Promise<void> {
    this.nowMs += ms;
    await this.core.tick();
    await this.fetchAll();
  }

  /** Flushes and waits until what was processed is durable and committed. */
  async flush(): Promise<void> {
    if (this.crashed) return;
    try {
      await this.fetchAll();
      await this.core.flush();
    } catch (error) {
      if (!this.crashed) throw error; // a dead process's flush fails: nothing to report
    }
  }

  /**
   * The global tables' barriers wait until the answer is called, as a reader's does while its
   * broker is away (it retries until the broker answers or the table stops).
   */
  holdGlobalTables(): () => void {
    let release!: () => void;
    this.globalTablesHeld = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.globalTablesHeld = undefined;
      release();
    };
  }

  /**
   * A graceful stop that begins now, as at a SIGTERM, whatever the consumer is in the middle of
   * (a batch waiting at a task's barrier): the core drains (flush and commit), then the fetch loop
   * ends. Unlike `drain`, it does not first fetch what is piped.
   */
  async stop(): Promise<void> {
    await this.core.drain();
    await this.delivering.catch(() => undefined);
  }

  /** A graceful stop's flush: tasks close what they hold open first. */
  async drain(): Promise<void> {
    await this.fetchAll();
    await this.core.drain();
  }

  /**
   * The next `count` inserts (into `table`, or any) fail with a retriable error; with
   * `landed`, each lands first (a timeout after the server took the rows); with `canRetry`
   * false, with an error that retrying cannot help (the write fails for good).
   */
  failWrites(count: number, options: { table?: string; landed?: boolean; canRetry?: boolean } = {}): void {
    this.failures.push({ remaining: count, table: options.table, landed: options.landed ?? false, canRetry: options.canRetry ?? true });
  }

  /** State snapshots wait until the answer is called (a slow snapshot insert). */
  holdStateSaves(): () => void {
    let release!: () => void;
    this.stateSavesHeld = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.stateSavesHeld = undefined;
      release();
    };
  }

  /**
   * Commits wait until the answer is called, then land, or fail with `error` (a broker that
   * went away while a commit was on its way: the rows and snapshot before it are durable).
   */
  holdCommits(): (error?: Error) => void {
    let settle!: (error?: Error) => void;
    const held = new Promise<void>((resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())));
    held.catch(() => undefined); // rejected for the commits waiting on it, not unhandled
    this.commitsHeld = held;
    return (error) => {
      this.commitsHeld = undefined;
      settle(error);
    };
  }

  /**
   * The process dies as soon as `count` effects are durable, before the next write or commit
   * lands: a crash at any chosen point between writes.
   */
  crashAfterEffects(count: number): void {
    this.crashAtEffect = count;
  }

  /** True once a crash took the process down (until `restart`). */
  get crashed(): boolean {
    return this.liveIncarnation !== this.incarnation;
  }

  /** The process dies: its buffer and any write in flight are lost; nothing of it lands afterwards. */
  crash(): void {
    this.incarnation++;
  }

  /**
   * A new process joins: it is assigned its partitions (tasks created and restored at once),
   * then fetches resume from the committed offsets, tasks from their checkpoints.
   */
  async restart(): Promise<void> {
    this.fetchPositions.clear();
    this.paused.clear();
    this.delivering = Promise.resolve();
    this.liveIncarnation = this.incarnation;
    this.core = this.newCore();
    await this.core.assign(this.assignment());
    await this.fetchAll();
  }

  /** Every input topic-partition assigned to this consumer (all known partitions, unless `rebalance` chose some). */
  private assignment(): { topic: string; partition: number }[] {
    const known = new Set<number>();
    for (let p = 0; p < (this.options.partitions ?? 0); p++) known.add(p);
    for (const key of this.logs.keys()) known.add(Number(key.slice(key.lastIndexOf(':') + 1)));
    const partitions = [...known].filter((p) => !this.assigned || this.assigned.has(p)).sort((a, b) => a - b);
    return partitions.flatMap((partition) => this.definition.inputs.map((topic) => ({ topic, partition })));
  }

  /** Task keys alive in the running core (`topic:partition`, or the partition of a co-partitioned task). */
  get tasks(): string[] {
    return this.core.taskKeys;
  }

  /**
   * A new group generation with `partitions` assigned (every partition when omitted): tasks
   * are released and created again for the assignment, records or not. Kept
   * partitions resume where the consumer had fetched to; the core sends them back to their
   * committed offset. Revoked ones are not fetched until assigned again.
   */
  async rebalance(partitions?: readonly number[]): Promise<void> {
    await this.delivering;
    this.assigned = partitions ? new Set(partitions) : undefined;
    for (const key of [...this.fetchPositions.keys()]) {
      const partition = Number(key.slice(key.lastIndexOf(':') + 1));
      if (this.assigned && !this.assigned.has(partition)) this.fetchPositions.delete(key);
    }
    this.paused.clear();
    await this.core.assign(this.assignment());
    await this.fetchAll();
  }

  /** Every row inserted into `table` (duplicates dropped by their token left out), in order. */
  rows(table: string): Row[] {
    const rows: Row[] = [];
    for (const e of this.effects) if (e.kind === 'rows' && e.table === table && !e.duplicate) rows.push(...e.rows);
    return rows;
  }

  /** What ReplacingMergeTree keeps: per key, the row with the largest `version` column. */
  finalRows(table: string, keyColumns: readonly string[], versionColumn = 'version'): Row[] {
    const latest = new Map<string, Row>();
    for (const row of this.rows(table)) {
      const key = keyColumns.map((c) => String(row[c])).join('\u0000');
      const kept = latest.get(key);
      if (!kept || Number(row[versionColumn]) >= Number(kept[versionColumn])) latest.set(key, row);
    }
    return [...latest.values()];
  }

  /** Records sent to the dead-letter topic, with the reason from their headers. */
  deadLetters(): DeadLetter[] {
    const topic = this.options.deadLetterTopic ?? DEFAULT_DEAD_LETTER_TOPIC;
    const header = (m: Message, name: string): string => String(m.headers?.[name] ?? '');
    return this.published(topic).map((m) => ({
      code: header(m, 'x-shelfstream-error-code'),
      reason: header(m, 'x-shelfstream-reason'),
      topic: header(m, 'x-shelfstream-source-topic'),
      partition: Number(header(m, 'x-shelfstream-source-partition')),
      offset: Number(header(m, 'x-shelfstream-source-offset')),
    }));
  }

  /** Messages produced to `topic`, in order. */
  published(topic: string): Message[] {
    const out: Message[] = [];
    for (const e of this.effects) if (e.kind === 'produce' && e.topic === topic) out.push(...e.messages);
    return out;
  }

  /** Values published to a catalogue topic, decoded. */
  publishedValues(topic: string): unknown[] {
    return this.published(topic).map((m) => this.codec.readKnown(m.value as Buffer));
  }

  /** An offset committed by an earlier process of the group (before the first fetch of this one). */
  setCommitted(topic: string, partition: number, offset: number, metadata = ''): void {
    this.commitsByKey.set(`${topic}:${partition}`, { offset, metadata });
  }

  /** The committed offset and checkpoint of a topic-partition. */
  committed(topic: string, partition: number): CommittedOffset | undefined {
    return this.commitsByKey.get(`${topic}:${partition}`);
  }

  /** The end of a topic-partition's log (the next offset a record would get). */
  endOffset(topic: string, partition: number): number {
    return this.logs.get(`${topic}:${partition}`)?.length ?? 0;
  }
}
