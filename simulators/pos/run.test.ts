/**
 * The backfill pipeline driven by an in-memory publisher: batch sizes, requests in flight,
 * that what is published is exactly what the simulation generates, in order, and that every
 * Kafka partition receives its records in event-time order.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TopicName } from '../../schemas/generated/events';
import { parseDay } from '../../lib/domain/calendar';
import type { TruthBytes } from './ground-truth';
import type { SimulationOptions } from './options';
import { type OpenedPublisher, runShard } from './run';
import { partitionOf, shardStores } from './shards';
import { PosSimulator } from './simulator';
import { EVENT_TOPICS } from './store-sim';

const simulation: SimulationOptions = { seed: 3, stores: 2, skus: 40, window: { kind: 'days', startDay: parseDay('2026-06-10'), days: 2 }, anomalyRate: 1, heartbeats: true };

function fakePublisher(): { opened: OpenedPublisher; calls: { topic: string; events: readonly unknown[] }[][]; maxConcurrent: () => number } {
  const calls: { topic: string; events: readonly unknown[] }[][] = [];
  let concurrent = 0;
  let max = 0;
  return {
    calls,
    maxConcurrent: () => max,
    opened: {
      topic: (name: TopicName) => `prefix.${name}` as TopicName,
      publisher: {
        publish: async () => undefined,
        publishMixed: async (batches) => {
          concurrent++;
          max = Math.max(max, concurrent);
          calls.push([...batches]);
          await sleep(5);
          concurrent--;
        },
        encode: () => {
          throw new Error('runShard publishes with publishMixed only');
        },
        sendEncoded: async () => undefined,
        close: async () => undefined,
      },
    },
  };
}

describe('runShard', () => {
  it.each([1, 3])('publishes every generated event in order, in batches, %p request(s) in flight', async (inFlight) => {
    const fake = fakePublisher();
    const truth: TruthBytes[] = [];
    let hours = 0;
    const result = await runShard(fake.opened, simulation, { batchEvents: 10, inFlight }, { truth: (t) => truth.push(t), progress: (h) => (hours += h) });

    const expected = new PosSimulator(simulation);
    const generated = Object.fromEntries(EVENT_TOPICS.map((t) => [t, [] as unknown[]]));
    while (!expected.done) {
      const hour = expected.nextHour();
      for (const t of EVENT_TOPICS) generated[t]!.push(...hour.events[t]);
    }
    const published = Object.fromEntries(EVENT_TOPICS.map((t) => [t, [] as unknown[]]));
    for (const call of fake.calls) {
      expect(call.reduce((n, b) => n + b.events.length, 0)).toBeLessThanOrEqual(10);
      for (const b of call) published[b.topic.replace('prefix.', '')]!.push(...b.events);
    }
    expect(JSON.stringify(published)).toBe(JSON.stringify(generated));
    expect(fake.calls.length).toBeGreaterThan(5);
    expect(fake.maxConcurrent()).toBe(inFlight);
    for (const t of EVENT_TOPICS) expect(result.counts[t]).toBe(generated[t]!.length);
    expect(hours).toBe(result.hours);
    expect(truth.map((t) => Buffer.from(t.hourly).toString()).join('')).toContain('S002,SKU');
  });

  it('stops at the first failed request', async () => {
    const fake = fakePublisher();
    fake.opened.publisher.publishMixed = async () => {
      throw new Error('broker gone');
    };
    await expect(runShard(fake.opened, simulation, { batchEvents: 250, inFlight: 1 }, { truth: () => undefined, progress: () => undefined })).rejects.toThrow('broker gone');
  });
});

describe('backfill publish order', () => {
  // Stores in several time zones (local days start at different UTC hours), several stores per
  // partition (S001..S012 fall on three of four: 5, 3 and 4 stores), partitions shared out
  // over fewer workers, as `make demo` runs it.
  const chain: SimulationOptions = { ...simulation, stores: 12, skus: 30 };
  const partitions = 4;

  it.each([1, 2, 4])('sends every partition through one producer in event-time order, %p worker(s)', async (workers) => {
    const storeIds = new PosSimulator(chain).chain.stores.map((s) => s.store.store_id);
    const shards = shardStores(storeIds, [partitions], workers);
    // Each shard publishes as a worker would, concurrently, through its own producer.
    const fakes = shards.map(() => fakePublisher());
    await Promise.all(shards.map((storeIndices, i) => runShard(fakes[i]!.opened, { ...chain, storeIndices }, { batchEvents: 50, inFlight: 1 }, { truth: () => undefined, progress: () => undefined })));

    const producerOf = new Map<string, number>(); // topic/partition -> shard
    const lastAt = new Map<string, number>();
    const storesOf = new Map<number, Set<string>>(); // partition -> stores
    let records = 0;
    let backwards = 0;
    fakes.forEach((fake, shard) => {
      for (const call of fake.calls) {
        for (const { topic, events } of call) {
          for (const event of events as { store_id: string; occurred_at: number }[]) {
            const partition = partitionOf(event.store_id, partitions);
            const key = `${topic}/${partition}`;
            storesOf.set(partition, (storesOf.get(partition) ?? new Set()).add(event.store_id));
            expect(producerOf.get(key) ?? shard).toBe(shard);
            producerOf.set(key, shard);
            if (event.occurred_at < (lastAt.get(key) ?? -Infinity)) backwards++;
            lastAt.set(key, Math.max(event.occurred_at, lastAt.get(key) ?? -Infinity));
            records++;
          }
        }
      }
    });
    expect(records).toBeGreaterThan(2_000);
    expect([...storesOf.values()].map((s) => s.size).sort()).toEqual([3, 4, 5]);
    expect(backwards).toBe(0);
  });
});
