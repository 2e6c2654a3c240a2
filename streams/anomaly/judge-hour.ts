/**
 * Judging an hour of sales the watermark closed: every series of every store that traded in it
 * against its hour-of-week baseline (DEMAND_SPIKE, DEMAND_DROP, PHANTOM_INVENTORY), then folded
 * into it (not while one of its demand alerts is open, so an anomaly does not become the norm).
 * Hours in which a store sold nothing at all are closed hours: skipped. The books are read as of
 * the hour judged (book-history.ts).
 */
import type { RowSink } from '../runtime/processor';
import { dispersionOf, expectedUnits, foldHour, hourOfWeek, observeDispersion } from './baseline';
import { bookAsOf } from './book-history';
import { type Book, clearDrop, dropDecision, emptyEvidence, phantomDecision, phantomEvidence, spikeDecision, stepCensored, stepDemand, stepSilence, zScore } from './detectors';
import { raiseSeriesAlert, resolveSeriesAlert } from './emit';
import { promotionAt } from './promotions';
import { type Changes, type SalesHour, type SeriesState, type StoreState, key2 } from './state';
import { DEMAND_MIN_LEVEL, DROP_RAISE, HOUR_MS, MIN_HISTORY_HOURS, TIDE_PRIOR_UNITS, TIDE_RANGE } from './tuning';

/** The record an alert is raised at (its id is made of it): an hour's first sale. */
export interface AlertSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

const fmt = (x: number): string => (Math.abs(x) >= 10 ? x.toFixed(0) : x.toFixed(1));

export function judgeSalesHour(hour: number, bucket: SalesHour, stores: Iterable<StoreState>, source: AlertSource, changes: Changes, out: RowSink): void {
  const end = hour + HOUR_MS;
  for (const store of stores) {
    const sold = bucket.units.get(store.storeId);
    if (!sold || sold.size === 0) continue; // the store was closed (or had no till online)
    const slot = hourOfWeek(store.clock.local(hour));
    let total = 0;
    for (const units of sold.values()) total += units;
    const storeExpected = expectedUnits(store.baseline, store.baseline, slot);
    const ready = store.baseline.hours >= MIN_HISTORY_HOURS;
    // The store's tide for one sku is read on the other skus (leave one out): a top seller's
    // own spike can be a large share of the store's units and would otherwise lift its
    // expectation with it, hiding half of the spike.
    const tideWithout = (units: number, expected: number): number =>
      Math.min(TIDE_RANGE[1], Math.max(TIDE_RANGE[0], (total - units + TIDE_PRIOR_UNITS) / (Math.max(0, storeExpected - expected) + TIDE_PRIOR_UNITS)));
    const k = dispersionOf(store.dispersion);
    // In sku order, not in the order series were first read: the dispersion estimate weighs
    // each observation by its position, and that order depends on how topics interleaved.
    for (const s of [...store.series.values()].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))) {
      if (s.firstSeen >= end) continue; // not started yet in event time
      const x = sold.get(s.sku) ?? 0;
      const onPromotion = promotionAt(s.promo, end) || bucket.promo.has(key2(store.storeId, s.sku));
      const judged = ready && s.baseline.hours >= MIN_HISTORY_HOURS && !onPromotion;
      const stock = stockIn(s, hour, end);
      if (stock !== 'stocked') {
        // The books show an empty shelf for part of the hour: sales were capped by stock, not
        // chosen by customers (a censored hour). Read as an ordinary hour it would look like
        // a drop (or, once stock is back, raise a drop on evidence piled up while the shelf
        // was empty), and teach the baseline the stock-out. The stock processor alerts on
        // stock-outs; here the hour counts only as "demand was at least x" towards a spike,
        // ends a phantom alert (the books agree with the shelf now), and is not learnt.
        // Only a sell-out in this very hour says "demand >= x": books already empty when it
        // began (or that only look empty, a delivery not read) add nothing to a spike.
        if (judged) {
          const own = expectedUnits(s.baseline, store.baseline, slot);
          stepCensored(s.evidence, stock === 'sold out' ? x : 0, Math.max(1e-6, own * tideWithout(x, own)), k);
          decide(s, x, k, end, source, changes, out, 'spike');
        } else {
          s.evidence = emptyEvidence();
        }
        const phantom = s.alerts.PHANTOM_INVENTORY;
        if (phantom) resolveSeriesAlert(out, changes, 'PHANTOM_INVENTORY', s, phantom, end, `the books of ${s.sku} show no stock any more`);
        changes.series.add(s);
        continue;
      }
      if (judged) {
        const own = expectedUnits(s.baseline, store.baseline, slot);
        const mu = Math.max(1e-6, own * tideWithout(x, own));
        observeDispersion(store.dispersion, x, mu);
        stepDemand(s.evidence, x, mu, k);
        decide(s, x, k, end, source, changes, out, 'all');
      } else if (onPromotion && ready && s.baseline.hours >= MIN_HISTORY_HOURS) {
        // A promotion lifts demand on purpose: spikes and drops start afresh once it is over.
        // A silence is still judged (against the regular baseline, which a promotion only
        // exceeds): phantom inventory on a promoted item is the costliest kind.
        const own = expectedUnits(s.baseline, store.baseline, slot);
        stepSilence(s.evidence, x, Math.max(1e-6, own * tideWithout(x, own)), k);
        decide(s, x, k, end, source, changes, out, 'phantom');
      } else if (onPromotion) {
        s.evidence = emptyEvidence();
      }
      const open = s.alerts.DEMAND_SPIKE || s.alerts.DEMAND_DROP || s.alerts.PHANTOM_INVENTORY;
      if (!open && !onPromotion) foldHour(s.baseline, slot, x);
      changes.series.add(s);
    }
    foldHour(store.baseline, slot, total);
    changes.stores.add(store);
  }
}

/**
 * What the books say of the shelf since the series was last judged (closed hours included: a
 * count that finds the shelf empty overnight, then a delivery, leaves books that are positive
 * at both ends of the next hour, yet the evidence before it is stale): 'stocked', 'sold out'
 * (stock at the start of the hour, none at some point in it: this hour's sales emptied it), or
 * 'empty' (no stock already when the hour began).
 */
function stockIn(s: SeriesState, hour: number, end: number): 'stocked' | 'sold out' | 'empty' {
  const from = Math.min(hour, s.judgedThrough ?? hour);
  s.judgedThrough = end;
  const lowest = s.books.lowest(from, end);
  if (lowest === undefined || lowest > 0) return 'stocked';
  const before = s.books.lowest(from, hour);
  return before !== undefined && before > 0 ? 'sold out' : 'empty';
}

/**
 * Raises and resolves the demand alerts of a series after its hour: every kind, spikes only (a
 * censored hour), or phantom inventory only (an hour on promotion).
 */
function decide(s: SeriesState, x: number, k: number, end: number, source: AlertSource, changes: Changes, out: RowSink, kinds: 'all' | 'spike' | 'phantom'): void {
  const e = s.evidence;
  let memo: Book | undefined;
  const book = (): Book => (memo ??= bookAsOf(s.books, end));
  const hours = (n: number): string => `${n} h`;

  // A series too slow for a shift of its demand to stand out from chance raises no spike or
  // drop (its evidence still accumulates, and an open alert still resolves).
  const visible = s.baseline.level >= DEMAND_MIN_LEVEL;
  const spike = kinds === 'phantom' ? undefined : s.alerts.DEMAND_SPIKE;
  const spikeNext = spikeDecision(e, spike !== undefined);
  if (spikeNext === 'raise' && visible) {
    const r = e.spikeRun;
    raiseSeriesAlert(out, changes, 'DEMAND_SPIKE', s, source, end, zScore(r), r.expected, r.observed, `${s.sku} sold ${fmt(r.observed)} units in the last ${hours(r.hours)} where ${fmt(r.expected)} were expected (x${(r.observed / Math.max(r.expected, 1e-9)).toFixed(1)})`, {
      expected_units: r.expected,
      observed_units: r.observed,
      hours: r.hours,
    });
  } else if (spikeNext === 'resolve' && spike) {
    resolveSeriesAlert(out, changes, 'DEMAND_SPIKE', s, spike, end, `${s.sku} sells at its usual rate again`);
  }

  if (kinds === 'spike') return;

  const drop = kinds === 'all' ? s.alerts.DEMAND_DROP : undefined;
  const dropNext = dropDecision(e, drop !== undefined, drop || e.drop < DROP_RAISE ? { known: false, onHand: 0 } : book());
  if (dropNext === 'raise' && visible) {
    const r = e.dropRun;
    raiseSeriesAlert(out, changes, 'DEMAND_DROP', s, source, end, -zScore(r), r.expected, r.observed, `${s.sku} sold ${fmt(r.observed)} units in the last ${hours(r.hours)} where ${fmt(r.expected)} were expected`, {
      expected_units: r.expected,
      observed_units: r.observed,
      hours: r.hours,
    });
  } else if (dropNext === 'resolve' && drop) {
    resolveSeriesAlert(out, changes, 'DEMAND_DROP', s, drop, end, `${s.sku} sells at its usual rate again`);
  }

  const phantom = s.alerts.PHANTOM_INVENTORY;
  // The books are read only when the silence is long enough to matter (toJSON copies them).
  const phantomNext = phantom || e.zeroExpected > 0 ? phantomDecision(e, phantom !== undefined, book(), x, s.alerts.DEMAND_DROP !== undefined, k) : undefined;
  if (phantomNext === 'raise') {
    const b = book();
    // A drop raised on the first hours of a silence was this situation seen early: sales did not
    // slow, they stopped while the books show stock. One situation, one alert: the drop gives way.
    const openDrop = s.alerts.DEMAND_DROP;
    if (openDrop) {
      resolveSeriesAlert(out, changes, 'DEMAND_DROP', s, openDrop, end, `${s.sku} has not sold at all for ${hours(e.zeroHours)}: raised as phantom inventory instead`);
      clearDrop(e);
    }
    raiseSeriesAlert(out, changes, 'PHANTOM_INVENTORY', s, source, end, phantomEvidence(e), e.zeroExpected, 0, `${s.sku}: no sale for ${hours(e.zeroHours)} of trading where ${fmt(e.zeroExpected)} units were expected (chance 1 in 10^${phantomEvidence(e).toFixed(0)}) while the books show ${b.onHand} on hand`, {
      expected_units: e.zeroExpected,
      observed_units: 0,
      hours: e.zeroHours,
      on_hand: b.onHand,
    });
  } else if (phantomNext === 'resolve' && phantom) {
    resolveSeriesAlert(out, changes, 'PHANTOM_INVENTORY', s, phantom, end, x > 0 ? `${s.sku} sells again` : `the books of ${s.sku} show no stock any more (${book().onHand})`);
  }
}
