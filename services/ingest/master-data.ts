/**
 * Which stores and SKUs exist, from the compacted master-data topics md.stores and md.products.
 * At start-up ingest reads both from the beginning up to the end offsets they had then; from
 * that point it is `loaded` (readiness passes) and it keeps following both topics, so a store
 * or product published later is known within a fetch. A tombstone (null value) removes its key.
 *
 * The consumer never commits offsets: every start re-reads the (small, compacted) topics in
 * full, which is the only way to know the complete current set. Its group id is unique per
 * instance so several ingest instances each read everything.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { ShelfStreamError, describeError } from '../../lib/errors';
import type { EventCodec } from '../../lib/events/codec';
import type { Logger } from '../../lib/logger';

export interface MasterDataView {
  hasStore(storeId: string): boolean;
  hasSku(sku: string): boolean;
  /** True once everything that was in both topics at start-up has been read. */
  readonly loaded: boolean;
}

export interface MasterData extends MasterDataView {
  readonly stores: number;
  readonly products: number;
  /** Resolves once `loaded`. */
  whenLoaded(): Promise<void>;
  close(): Promise<void>;
}

export interface MasterDataOptions {
  readonly kafka: Kafka;
  readonly codec: EventCodec;
  readonly logger: Logger;
  /** Physical topic names (the catalogue's md.stores and md.products, possibly prefixed). */
  readonly storesTopic: string;
  readonly productsTopic: string;
  readonly groupIdPrefix: string;
  /** Counts records that could not be decoded, for metrics. */
  readonly onUndecodable?: (topic: string) => void;
}

/** The in-memory sets, apart from Kafka, so validation can be tested with plain data. */
export function staticMasterData(stores: Iterable<string>, skus: Iterable<string>): MasterDataView {
  const s = new Set(stores);
  const k = new Set(skus);
  return { hasStore: (id) => s.has(id), hasSku: (sku) => k.has(sku), loaded: true };
}

export async function followMasterData(options: MasterDataOptions): Promise<MasterData> {
  const { kafka, codec, logger, storesTopic, productsTopic } = options;
  const log = logger.child({ component: 'master-data' });
  const sets = new Map<string, Set<string>>([
    [storesTopic, new Set()],
    [productsTopic, new Set()],
  ]);
  const idField = new Map([
    [storesTopic, 'store_id'],
    [productsTopic, 'sku'],
  ]);

  // Where "everything at start-up" ends: the end offset of each partition now.
  const remaining = new Map<string, number>();
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of [storesTopic, productsTopic]) {
      let offsets;
      try {
        offsets = await admin.fetchTopicOffsets(topic);
      } catch (error) {
        throw new ShelfStreamError('SERVICE_UNAVAILABLE', `cannot read the end offsets of ${topic}: ${describeError(error)} (does it exist? run \`shelfstream init\`)`, {
          cause: error,
          context: { topic },
        });
      }
      for (const p of offsets) if (Number(p.high) > Number(p.low)) remaining.set(`${topic}:${p.partition}`, Number(p.high));
    }
  } finally {
    await admin.disconnect();
  }

  let markLoaded!: () => void;
  const loadedPromise = new Promise<void>((resolve) => (markLoaded = resolve));
  let loaded = false;
  const checkLoaded = (): void => {
    if (!loaded && remaining.size === 0) {
      loaded = true;
      log.info({ stores: sets.get(storesTopic)!.size, products: sets.get(productsTopic)!.size }, 'master data loaded');
      markLoaded();
    }
  };
  checkLoaded();

  const consumer: Consumer = kafka.consumer({
    groupId: `${options.groupIdPrefix}-${randomBytes(6).toString('hex')}`,
    // Nothing is committed, so a crash-restart re-reads from the beginning, as wanted.
    maxWaitTimeInMs: 500, // a new store is known within half a second of being published
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [storesTopic, productsTopic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const set = sets.get(batch.topic)!;
      const field = idField.get(batch.topic)!;
      for (const message of batch.messages) {
        if (message.value === null) {
          // Tombstone: the record's key names what was deleted.
          if (message.key) set.delete(message.key.toString('utf8'));
          continue;
        }
        try {
          const decoded = codec.decodeKnown<Record<string, unknown>>(message.value) ?? (await codec.decode<Record<string, unknown>>(message.value));
          const id = decoded.value[field];
          if (typeof id === 'string') set.add(id);
        } catch (error) {
          options.onUndecodable?.(batch.topic);
          log.warn({ topic: batch.topic, partition: batch.partition, offset: message.offset, err: describeError(error) }, 'skipping an undecodable master-data record');
        }
      }
      const key = `${batch.topic}:${batch.partition}`;
      const target = remaining.get(key);
      if (target !== undefined && Number(batch.lastOffset()) + 1 >= target) {
        remaining.delete(key);
        checkLoaded();
      }
    },
  });

  return {
    hasStore: (id) => sets.get(storesTopic)!.has(id),
    hasSku: (sku) => sets.get(productsTopic)!.has(sku),
    get loaded() {
      return loaded;
    },
    get stores() {
      return sets.get(storesTopic)!.size;
    },
    get products() {
      return sets.get(productsTopic)!.size;
    },
    whenLoaded: () => loadedPromise,
    close: () => consumer.disconnect(),
  };
}
