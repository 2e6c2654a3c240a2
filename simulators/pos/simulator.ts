/**
 * The simulation core: the chain, the demand model and one StoreSimulator per store, stepped
 * together one UTC hour at a time. `nextHour()` is pure and synchronous: it answers the hour's
 * events by topic (each store's events in event-time order) and its ground truth, and does no
 * I/O, so publishing, writing files and tests are all just callers.
 */
import type { Product, Store } from '../../schemas/generated/events';
import { DAY_MS, HOUR_MS } from './calendar';
import { type Chain, buildChain } from './chain';
import { DemandModel } from './demand';
import { type HourTruth, emptyTruth } from './ground-truth';
import { type SimulationOptions, validateSimulation } from './options';
import { EVENT_TOPICS, type EventTopic, type HourEvents, StoreSimulator, type StoreWindow, emptyEvents } from './store-sim';

export interface HourBatch {
  readonly hourStart: number;
  readonly events: HourEvents;
  readonly eventCount: number;
  readonly truth: HourTruth;
}

export interface MasterData {
  readonly 'md.stores': Store[];
  readonly 'md.products': Product[];
}

export class PosSimulator {
  readonly chain: Chain;
  readonly model: DemandModel;
  readonly stores: readonly StoreSimulator[];
  /** First simulated UTC hour and the end of the simulated time (Infinity: no end). */
  readonly start: number;
  readonly end: number;
  private cursor: number;
  private finished = false;
  readonly counts: Record<EventTopic, number> = Object.fromEntries(EVENT_TOPICS.map((t) => [t, 0])) as Record<EventTopic, number>;

  constructor(readonly options: SimulationOptions) {
    validateSimulation(options);
    const w = options.window;
    // Master data is stamped a day before the first simulated hour (UTC), so every event of
    // every time zone finds its store and products already valid.
    const first = w.kind === 'days' ? w.startDay * DAY_MS : Math.floor(w.start / HOUR_MS) * HOUR_MS;
    this.chain = buildChain({ seed: options.seed, stores: options.stores, skus: options.skus, updatedAt: first - DAY_MS });
    this.model = new DemandModel(this.chain);
    const indices = options.storeIndices ?? this.chain.stores.map((s) => s.index);
    this.stores = indices.map((i) => {
      const profile = this.chain.stores[i]!;
      return new StoreSimulator(profile, this.chain, this.model, this.windowOf(i), {
        seed: options.seed,
        anomalyRate: options.anomalyRate,
        heartbeats: options.heartbeats,
      });
    });
    this.start = Math.min(...this.stores.map((s) => s.window.start));
    this.end = Math.max(...this.stores.map((s) => s.window.end));
    this.cursor = this.start;
  }

  /** A store's simulated time: whole local days, or the continuous window for everyone. */
  windowOf(storeIndex: number): StoreWindow {
    const w = this.options.window;
    if (w.kind === 'continuous') return { start: Math.floor(w.start / HOUR_MS) * HOUR_MS, end: w.end ?? Number.POSITIVE_INFINITY };
    const clock = this.model.clock(this.chain.stores[storeIndex]!);
    return { start: clock.localMidnight(w.startDay), end: clock.localMidnight(w.startDay + w.days) };
  }

  /** Store and product records for the compacted master-data topics. */
  masterData(): MasterData {
    return { 'md.stores': this.stores.map((s) => s.profile.store), 'md.products': this.chain.products.map((p) => p.product) };
  }

  /** Simulated hours in the run (Infinity for an open-ended continuous run). */
  get hours(): number {
    return (this.end - this.start) / HOUR_MS;
  }

  /** Start of the next hour to simulate. */
  get now(): number {
    return this.cursor;
  }

  get done(): boolean {
    return this.cursor >= this.end;
  }

  /** Simulates every store for the next UTC hour. */
  nextHour(): HourBatch {
    const hourStart = this.cursor;
    const events = emptyEvents();
    const truth = emptyTruth();
    for (const store of this.stores) store.step(hourStart, events, truth);
    this.cursor += HOUR_MS;
    let eventCount = 0;
    for (const topic of EVENT_TOPICS) {
      this.counts[topic] += events[topic].length;
      eventCount += events[topic].length;
    }
    return { hourStart, events, eventCount, truth };
  }

  /** Ends the run: partial days, stock-outs still open and anomalies still running. Call once. */
  finish(): HourTruth {
    const truth = emptyTruth();
    if (this.finished) return truth;
    this.finished = true;
    for (const store of this.stores) store.finish(truth);
    return truth;
  }
}
