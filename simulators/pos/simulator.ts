/**
 * The simulation core: the chain, the demand model and one StoreSimulator per store, stepped
 * together one UTC hour at a time. `nextHour()` is pure and synchronous: it answers the hour's
 * events by topic, each topic's in event-time order across the stores (simultaneous events in
 * store order), and its ground truth, and does no I/O, so publishing, writing files and tests
 * are all just callers.
 */
import type { ExchangeRate, Product, Store } from '../../schemas/generated/events';
import { DAY_MS, HOUR_MS } from '../../lib/domain/time';
import { type Chain, buildChain } from './chain';
import { DemandModel } from './demand';
import { exchangeRates } from './exchange-rates';
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
  readonly 'md.exchange-rates': ExchangeRate[];
}

export class PosSimulator {
  readonly chain: Chain;
  readonly model: DemandModel;
  readonly stores: readonly StoreSimulator[];
  /** First simulated UTC hour and the end of the simulated time (Infinity: no end). */
  readonly start: number;
  readonly end: number;
  private cursor: number;
  /** updated_at of every master-data record of the run: a day before its first hour. */
  private readonly masterStamp: number;
  private finished = false;
  readonly counts: Record<EventTopic, number> = Object.fromEntries(EVENT_TOPICS.map((t) => [t, 0])) as Record<EventTopic, number>;

  constructor(readonly options: SimulationOptions) {
    validateSimulation(options);
    const w = options.window;
    // Master data is stamped a day before the first simulated hour (UTC), so every event of
    // every time zone finds its store and products already valid.
    const first = w.kind === 'days' ? w.startDay * DAY_MS : Math.floor(w.start / HOUR_MS) * HOUR_MS;
    this.masterStamp = first - DAY_MS;
    this.chain = buildChain({ seed: options.seed, stores: options.stores, skus: options.skus, updatedAt: this.masterStamp });
    this.model = new DemandModel(this.chain, options.demandShift);
    const indices = options.storeIndices ?? this.chain.stores.map((s) => s.index);
    this.stores = indices.map((i) => {
      const profile = this.chain.stores[i]!;
      return new StoreSimulator(profile, this.chain, this.model, this.windowOf(i), {
        seed: options.seed,
        anomalyRate: options.anomalyRate,
        heartbeats: options.heartbeats,
        expiryWriteOffs: options.expiryWriteOffs ?? false,
        commonRandomNumbers: options.commonRandomNumbers ?? false,
        ...(options.ordering ? { ordering: options.ordering } : {}),
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
    return {
      'md.stores': this.stores.map((s) => s.profile.store),
      'md.products': this.chain.products.map((p) => p.product),
      'md.exchange-rates': this.exchangeRates(),
    };
  }

  /**
   * A rate per currency for every UTC date the run touches, from the master-data day before it
   * (a store east of UTC opens its first local day then) to its last day; an open-ended run
   * publishes its first days only, and later days take the latest earlier rate downstream.
   */
  exchangeRates(): ExchangeRate[] {
    const first = Math.floor(this.masterStamp / DAY_MS);
    const last = Number.isFinite(this.end) ? Math.floor((this.end - 1) / DAY_MS) : first + 1;
    return exchangeRates(this.options.seed, first, last, this.masterStamp);
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

  /**
   * Simulates every store for the next UTC hour. Each store appends its hour in event-time
   * order; the stores' runs are then merged by occurred_at, so whoever publishes a topic's list
   * in order publishes each partition in order (a partition holds several stores, and a stream
   * processor keeps one watermark per partition).
   */
  nextHour(): HourBatch {
    const hourStart = this.cursor;
    const events = emptyEvents();
    const truth = emptyTruth();
    const runStarts = Object.fromEntries(EVENT_TOPICS.map((t) => [t, [] as number[]])) as Record<EventTopic, number[]>;
    for (const store of this.stores) {
      for (const topic of EVENT_TOPICS) runStarts[topic].push(events[topic].length);
      store.step(hourStart, events, truth);
    }
    this.cursor += HOUR_MS;
    let eventCount = 0;
    for (const topic of EVENT_TOPICS) {
      (events[topic] as { occurred_at: number }[]) = mergeRuns(events[topic] as { occurred_at: number }[], runStarts[topic]);
      this.counts[topic] += events[topic].length;
      eventCount += events[topic].length;
    }
    return { hourStart, events, eventCount, truth };
  }

  /**
   * Stores whose nightly review waits for the next hour (a policy that reviews after closing),
   * with the local day reviewed: whoever drives a closed loop hands their advice over before
   * calling nextHour() again.
   */
  pendingReviews(): { readonly storeId: string; readonly localDay: number }[] {
    const due: { storeId: string; localDay: number }[] = [];
    for (const store of this.stores) {
      const review = store.pendingReview;
      if (review !== null && review.at <= this.cursor) due.push({ storeId: store.storeId, localDay: review.localDay });
    }
    return due;
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

/**
 * Merges consecutive runs of `list`, each sorted by occurred_at, into one sorted list; stable
 * (equal times keep their runs' order). `starts` are the runs' first indices, ascending (what
 * precedes the first is a run too); a run ends where the next starts. Adjacent runs are merged
 * pairwise, log2(runs) passes over the events, without the comparator call per comparison of
 * Array.sort. Answers `list` itself when it holds at most one non-empty run; otherwise a new
 * array, and `list` served as scratch space.
 */
export function mergeRuns<T extends { readonly occurred_at: number }>(list: T[], starts: readonly number[]): T[] {
  const n = list.length;
  const all = starts[0] === 0 ? starts : [0, ...starts];
  let bounds: number[] = [];
  for (let i = 0; i < all.length; i++) if ((all[i + 1] ?? n) > all[i]!) bounds.push(all[i]!);
  if (bounds.length <= 1) return list;
  bounds.push(n);
  let from = list;
  let to = new Array<T>(n);
  while (bounds.length > 2) {
    const next: number[] = [];
    const runs = bounds.length - 1;
    let r = 0;
    for (; r + 2 <= runs; r += 2) {
      let i = bounds[r]!;
      let j = bounds[r + 1]!;
      const mid = j;
      const hi = bounds[r + 2]!;
      let k = i;
      while (i < mid && j < hi) to[k++] = from[j]!.occurred_at < from[i]!.occurred_at ? from[j++]! : from[i++]!;
      while (i < mid) to[k++] = from[i++]!;
      while (j < hi) to[k++] = from[j++]!;
      next.push(bounds[r]!);
    }
    if (r < runs) {
      for (let k = bounds[r]!; k < n; k++) to[k] = from[k]!;
      next.push(bounds[r]!);
    }
    next.push(n);
    bounds = next;
    [from, to] = [to, from];
  }
  return from;
}
