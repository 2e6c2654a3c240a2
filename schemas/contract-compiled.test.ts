/**
 * The compiled contract check (rules that name the fields they read) against the generic rule
 * walk it replaced, kept here verbatim as the reference: the same issues, paths, reasons and
 * order on simulated events of every topic and on thousands of broken variants of them. Then
 * the projected check: it runs exactly the rules on the fields a processor reads.
 */
import { DAY_MS } from '../lib/domain/time';
import { parseDay } from '../lib/domain/calendar';
import { PosSimulator } from '../simulators/pos/simulator';
import { EVENT_TOPICS } from '../simulators/pos/store-sim';
import { LIMITS, contractCheck, decodedEventIssues, type ContractIssue } from './contract';
import type { TopicName, TopicValues } from './generated/events';
// Velocity's own projection, not a copy: these tests follow it if it changes.
import { VELOCITY_READS } from '../streams/velocity/velocity';


// ---- The reference: decodedEventIssues as it was before the rules were compiled. ----
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURRENCY = /^[A-Z]{3}$/;
type Rule<T> = (event: T, issue: (path: string, reason: string) => void, nowMs: number) => void;
function range(issue: (p: string, r: string) => void, path: string, v: number, min: number, max: number, unit = ''): void {
  if (v < min || v > max) issue(path, `must be between ${min} and ${max}${unit}, got ${v}`);
}

const common: Rule<{ event_id: string; occurred_at: number; currency?: string }> = (e, issue, now) => {
  if (!UUID.test(e.event_id)) issue('event_id', 'must be a UUID');
  if (e.occurred_at < LIMITS.earliestEventMs) issue('occurred_at', `is before 2000-01-01 (${e.occurred_at} ms): expected epoch milliseconds, UTC`);
  if (e.occurred_at > now + LIMITS.maxFutureSkewMs) issue('occurred_at', 'is more than a day in the future');
  if (e.currency !== undefined && !CURRENCY.test(e.currency)) issue('currency', 'must be an ISO 4217 code such as EUR');
};

const RULES: { readonly [T in TopicName]?: Rule<TopicValues[T]> } = {
  'pos.sales': (e, issue) => {
    if (e.lines.length === 0) issue('lines', 'a sale needs at least one line');
    if (e.lines.length > LIMITS.maxLines) issue('lines', `at most ${LIMITS.maxLines} lines`);
    let subtotal = 0;
    let discounts = 0;
    const numbers = new Set<number>();
    e.lines.forEach((l, i) => {
      const p = `lines[${i}]`;
      range(issue, `${p}.quantity`, l.quantity, 1, LIMITS.maxQuantity);
      range(issue, `${p}.unit_price`, l.unit_price, 0, LIMITS.maxUnitPriceMinor, ' minor units');
      if (l.discount < 0 || l.discount > l.quantity * l.unit_price) issue(`${p}.discount`, `must be between 0 and quantity x unit_price (${l.quantity * l.unit_price}), got ${l.discount}`);
      if (numbers.has(l.line_number)) issue(`${p}.line_number`, `line_number ${l.line_number} appears twice`);
      numbers.add(l.line_number);
      subtotal += l.quantity * l.unit_price;
      discounts += l.discount;
    });
    if (e.subtotal !== subtotal) issue('subtotal', `must equal the sum of quantity x unit_price (${subtotal}), got ${e.subtotal}`);
    if (e.discount_total !== discounts) issue('discount_total', `must equal the sum of line discounts (${discounts}), got ${e.discount_total}`);
    if (e.total !== e.subtotal - e.discount_total) issue('total', `must equal subtotal - discount_total (${e.subtotal - e.discount_total}), got ${e.total}`);
    if (e.tax_total < 0 || e.tax_total > e.total) issue('tax_total', 'must be between 0 and total');
  },
  'pos.returns': (e, issue) => {
    if (e.lines.length === 0) issue('lines', 'a return needs at least one line');
    let refunds = 0;
    e.lines.forEach((l, i) => {
      range(issue, `lines[${i}].quantity`, l.quantity, 1, LIMITS.maxQuantity);
      range(issue, `lines[${i}].refund_amount`, l.refund_amount, 0, LIMITS.maxUnitPriceMinor * l.quantity, ' minor units');
      refunds += l.refund_amount;
    });
    if (e.refund_total !== refunds) issue('refund_total', `must equal the sum of refund_amount (${refunds}), got ${e.refund_total}`);
  },
  'pos.voids': (e, issue) => {
    range(issue, 'line_count', e.line_count, 0, LIMITS.maxLines);
    range(issue, 'void_total', e.void_total, 0, LIMITS.maxUnitPriceMinor * LIMITS.maxLines, ' minor units');
  },
  'inventory.movements': (e, issue) => {
    if (e.quantity_delta === 0) issue('quantity_delta', 'must not be 0');
    range(issue, 'quantity_delta', Math.abs(e.quantity_delta), 1, LIMITS.maxQuantity * 100, ' units (absolute)');
    const positive = e.movement_type === 'RECEIPT' || e.movement_type === 'TRANSFER_IN';
    const negative = e.movement_type === 'SHRINK' || e.movement_type === 'TRANSFER_OUT';
    if (positive && e.quantity_delta < 0) issue('quantity_delta', `must be positive for ${e.movement_type}`);
    if (negative && e.quantity_delta > 0) issue('quantity_delta', `must be negative for ${e.movement_type}`);
    if (e.unit_cost !== null) range(issue, 'unit_cost', e.unit_cost, 0, LIMITS.maxUnitPriceMinor, ' minor units');
  },
  'inventory.counts': (e, issue) => range(issue, 'on_hand', e.on_hand, 0, LIMITS.maxOnHand),
  'inventory.orders': (e, issue) => {
    range(issue, 'quantity', e.quantity, 1, LIMITS.maxQuantity * 100, ' units');
    if (e.order_id.trim() === '') issue('order_id', 'must not be empty: the RECEIPT of the delivery names it');
    range(issue, 'lead_time_days', e.lead_time_days, 0, LIMITS.maxLeadTimeDays, ' days');
    if (e.expected_delivery_at <= e.occurred_at) issue('expected_delivery_at', 'must be after occurred_at (a delivery is planned after the order is placed)');
    else if (e.expected_delivery_at - e.occurred_at > LIMITS.maxLeadTimeDays * DAY_MS) issue('expected_delivery_at', `must be at most ${LIMITS.maxLeadTimeDays} days after occurred_at`);
  },
  'pricing.prices': (e, issue) => {
    range(issue, 'old_price', e.old_price, 0, LIMITS.maxUnitPriceMinor, ' minor units');
    range(issue, 'new_price', e.new_price, 0, LIMITS.maxUnitPriceMinor, ' minor units');
  },
  'pricing.promotions': (e, issue) => {
    range(issue, 'discount_percent', e.discount_percent, 1, 90, ' percent');
    if (e.skus.length === 0) issue('skus', 'a promotion needs at least one sku');
    if (e.ends_at <= e.starts_at) issue('ends_at', 'must be after starts_at');
  },
  'pos.heartbeats': (e, issue) => range(issue, 'queue_depth', e.queue_depth, 0, 10_000_000),
  // Master-data rules came after the compilation; written here the plain way all the same.
  'md.exchange-rates': (e, issue) => {
    if (!CURRENCY.test(e.currency)) issue('currency', 'must be an ISO 4217 code such as GBP');
    if (!CURRENCY.test(e.base_currency)) issue('base_currency', 'must be an ISO 4217 code such as EUR');
    if (!(Number.isFinite(e.rate) && e.rate > 0 && e.rate <= LIMITS.maxExchangeRate)) issue('rate', `must be a positive number of currency units per base unit, at most ${LIMITS.maxExchangeRate}, got ${e.rate}`);
    if (e.currency === e.base_currency && e.rate !== 1) issue('rate', `must be 1 when currency equals base_currency, got ${e.rate}`);
    if (!Number.isInteger(e.rate_date) || e.rate_date * DAY_MS < LIMITS.earliestEventMs) issue('rate_date', `must be a date on or after 2000-01-01 (days since 1970-01-01), got ${e.rate_date}`);
  },
  'md.stores': (e, issue) => {
    if (e.vat_rate !== null && !(e.vat_rate >= 0 && e.vat_rate < 1)) issue('vat_rate', `must be a fraction from 0 to below 1 (0.2 = 20%), got ${e.vat_rate}`);
    if (!CURRENCY.test(e.currency)) issue('currency', 'must be an ISO 4217 code such as EUR');
    if (e.holiday_calendar !== null && e.holiday_calendar !== 'western' && e.holiday_calendar !== 'muslim') issue('holiday_calendar', `must be one of western, muslim or null, got ${JSON.stringify(e.holiday_calendar)}`);
  },
};

function referenceIssues(topic: string, event: unknown, nowMs: number): ContractIssue[] {
  const rule = RULES[topic as TopicName] as Rule<unknown> | undefined;
  const out: ContractIssue[] = [];
  const issue = (path: string, reason: string): void => void out.push({ path, reason });
  const e = event as Record<string, unknown>;
  if ('event_id' in e && 'occurred_at' in e) common(e as never, issue, nowMs);
  rule?.(event, issue, nowMs);
  return out;
}
// ---- End of the reference. ----

/** A few simulated events of every event topic, and master data. */
function simulated(): { topic: string; event: Record<string, unknown>; now: number }[] {
  const sim = new PosSimulator({ seed: 11, stores: 2, skus: 40, window: { kind: 'days', startDay: parseDay('2026-03-16'), days: 2 }, anomalyRate: 4, heartbeats: true });
  const byTopic = new Map<string, Record<string, unknown>[]>();
  while (!sim.done) {
    const hour = sim.nextHour();
    for (const topic of EVENT_TOPICS) {
      const list = byTopic.get(topic) ?? [];
      for (const e of hour.events[topic] as unknown as Record<string, unknown>[]) if (list.length < 15) list.push(e);
      byTopic.set(topic, list);
    }
  }
  const now = sim.end + DAY_MS;
  const master = sim.masterData();
  const out = [...byTopic].flatMap(([topic, events]) => events.map((event) => ({ topic, event, now })));
  for (const topic of ['md.stores', 'md.products', 'md.exchange-rates'] as const) for (const r of master[topic].slice(0, 5)) out.push({ topic, event: r as unknown as Record<string, unknown>, now });
  return out;
}

const BAD_NUMBERS = [-1, 0, 1, 3, LIMITS.maxQuantity + 1, LIMITS.maxUnitPriceMinor + 1, 1e12];

/** Broken variants: every number (also in lines) replaced, bad ids, times, currencies, empty and repeated lines. */
function variants(event: Record<string, unknown>, now: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [k, v] of Object.entries(event)) {
    if (typeof v === 'number') for (const n of [...BAD_NUMBERS, v + 1, v - 1]) out.push({ ...event, [k]: n });
    if (Array.isArray(v)) {
      out.push({ ...event, [k]: [] });
      out.push({ ...event, [k]: [...v, ...v] }); // repeated line numbers
      v.forEach((item, i) => {
        if (typeof item !== 'object' || item === null) return;
        for (const [f, x] of Object.entries(item as Record<string, unknown>)) {
          if (typeof x !== 'number') continue;
          for (const n of [...BAD_NUMBERS, x + 1]) out.push({ ...event, [k]: v.map((it, j) => (j === i ? { ...(it as object), [f]: n } : it)) });
        }
      });
    }
  }
  // Only fields the event has: a decoded event has exactly its schema's fields.
  const has = (...fields: string[]): boolean => fields.every((f) => f in event);
  if (has('event_id')) out.push({ ...event, event_id: 'not-a-uuid' });
  if (has('occurred_at')) out.push({ ...event, occurred_at: 5 }, { ...event, occurred_at: now + 2 * DAY_MS });
  if (has('currency')) out.push({ ...event, currency: 'eur' });
  if (has('order_id')) out.push({ ...event, order_id: ' ' });
  // Several faults at once, so the order of issues is compared too.
  const many: Record<string, unknown> = { ...event };
  for (const [f, v] of Object.entries({ event_id: 'x', occurred_at: 1, currency: 'e', total: -5, subtotal: 7, on_hand: -1, quantity_delta: 0 })) if (has(f)) many[f] = v;
  out.push(many);
  return out;
}

describe('compiled contract check', () => {
  const cases = simulated();

  it('answers exactly what the generic rule walk answered, valid and broken events of every topic', () => {
    expect(new Set(cases.map((c) => c.topic)).size).toBeGreaterThanOrEqual(EVENT_TOPICS.length);
    let broken = 0;
    let compared = 0;
    for (const { topic, event, now } of cases) {
      expect(decodedEventIssues(topic, event, now)).toEqual([]);
      expect(referenceIssues(topic, event, now)).toEqual([]);
      for (const variant of variants(event, now)) {
        const expected = referenceIssues(topic, variant, now);
        expect({ topic, issues: [...decodedEventIssues(topic, variant, now)] }).toEqual({ topic, issues: expected });
        if (expected.length > 0) broken++;
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1_000);
    expect(broken).toBeGreaterThan(500);
  });

  it('answers a fresh list per call (no issue carried over to the next record)', () => {
    const sale = cases.find((c) => c.topic === 'pos.sales')!;
    const bad = contractCheck('pos.sales')({ ...sale.event, total: -1 }, sale.now);
    const found = bad.length;
    expect(found).toBeGreaterThan(0);
    expect(contractCheck('pos.sales')(sale.event, sale.now)).toEqual([]);
    expect(contractCheck('pos.sales')({ ...sale.event, subtotal: -1 }, sale.now).length).toBeGreaterThan(0);
    expect(bad.length).toBe(found);
  });
});

describe('projected contract check (velocity reads event_id, store_id, occurred_at and four line fields)', () => {
  const base = simulated().find((c) => c.topic === 'pos.sales')!;
  const check = contractCheck('pos.sales', VELOCITY_READS);
  const sale = base.event as unknown as TopicValues['pos.sales'];
  const withLine = (change: Record<string, unknown>): Record<string, unknown> => ({ ...base.event, lines: sale.lines.map((l, i) => (i === 0 ? { ...l, ...change } : l)) });

  it('dead-letters a sale broken in a field velocity reads, with the same reason as the full check', () => {
    for (const variant of [withLine({ quantity: 0 }), withLine({ unit_price: -3 }), withLine({ discount: 1e12 }), { ...base.event, occurred_at: 5 }, { ...base.event, lines: [] }]) {
      const full = decodedEventIssues('pos.sales', variant, base.now);
      const projected = check(variant, base.now);
      expect(projected.length).toBeGreaterThan(0);
      // Every issue it reports is one the full check reports, on a field velocity reads.
      for (const issue of projected) expect(full).toContainEqual(issue);
    }
    expect(check(withLine({ quantity: 0 }), base.now)).toContainEqual({ path: 'lines[0].quantity', reason: 'must be between 1 and 10000, got 0' });
  });

  it('does not judge fields velocity does not read: totals, currency, line numbers', () => {
    for (const variant of [{ ...base.event, total: -5 }, { ...base.event, subtotal: 1 }, { ...base.event, currency: 'e' }, { ...base.event, tax_total: -1 }, withLine({ line_number: 99 })]) {
      expect(check(variant, base.now)).toEqual([]);
    }
    // The event id is read now (each event is counted once), so it is judged as the full check does.
    expect(check({ ...base.event, event_id: 'x' }, base.now)).toEqual([{ path: 'event_id', reason: 'must be a UUID' }]);
    // A quantity change breaks the subtotal too: only the quantity is velocity's concern.
    expect(check(withLine({ quantity: 0 }), base.now).map((i) => i.path)).toEqual(['lines[0].quantity']);
  });
});
