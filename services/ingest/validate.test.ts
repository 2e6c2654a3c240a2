import { exampleEvent, type ExampleContext } from './examples';
import { staticMasterData } from './master-data';
import { INGEST_TOPICS, MAX_LISTED_ISSUES, checkEnvelope, checkEvents, checkStore, type Rejection } from './validate';

const NOW = Date.UTC(2026, 10, 23, 12);
const ctx: ExampleContext = { storeId: 'S001', terminalId: 'T1', skus: ['SKU-1', 'SKU-2', 'SKU-3'], occurredAt: NOW - 60_000 };
const masterData = staticMasterData(['S001', 'S002'], ['SKU-1', 'SKU-2', 'SKU-3']);
const principal = { keyId: '0123456789ab', storeId: 'S001', terminalId: 'T1', scope: 'terminal' } as const;

function check(items: unknown[]) {
  return checkEvents(items, { principal, masterData, nowMs: NOW });
}

function rejection(items: unknown[]): Rejection {
  const result = check(items);
  if (result.ok) throw new Error('expected a rejection');
  return result.rejection;
}

type Mutable = Record<string, unknown> & { lines?: Record<string, unknown>[] };
const sale = (n = 0): Mutable => exampleEvent('pos.sales', ctx, n) as Mutable;

describe('checkEnvelope', () => {
  it('answers the events of {"events": [...]}', () => {
    expect(checkEnvelope({ events: [1, 2] }, 10)).toEqual({ ok: true, value: [1, 2] });
  });

  it.each([
    [[], '', 'expected a JSON object, got an array'],
    ['text', '', 'expected a JSON object, got string'],
    [null, '', 'expected a JSON object, got null'],
    [{}, 'events', 'missing required field (an array of events)'],
    [{ events: {} }, 'events', 'expected an array, got object'],
    [{ events: [] }, 'events', 'is empty: send at least one event'],
  ])('refuses %j naming %j', (body, path, reason) => {
    expect(checkEnvelope(body, 10)).toEqual({ ok: false, rejection: expect.objectContaining({ status: 400, error: 'invalid_body', issues: [{ path, reason }] }) });
  });

  it('names unknown top-level fields', () => {
    expect(checkEnvelope({ events: [1], batch_id: 'x' }, 10)).toMatchObject({ ok: false, rejection: { status: 400, issues: [{ path: 'batch_id', reason: 'unknown field' }] } });
  });

  it('answers 413 for more events than allowed', () => {
    expect(checkEnvelope({ events: new Array(11).fill({}) }, 10)).toEqual({
      ok: false,
      rejection: { status: 413, error: 'too_many_events', message: '11 events in one request; at most 10 are accepted: split the batch' },
    });
  });
});

describe('checkEvents', () => {
  it('accepts one well-formed event of every ingest topic', () => {
    const items = INGEST_TOPICS.map((type, n) => ({ type, event: exampleEvent(type, ctx, n) }));
    const result = check(items);
    expect(result).toEqual({ ok: true, value: items.map((i) => ({ topic: i.type, eventId: i.event.event_id, event: i.event })) });
  });

  it('accepts events that leave out fields with defaults', () => {
    const s = sale();
    delete s.tax_total;
    s.lines!.forEach((l) => delete l.promotion_id);
    expect(check([{ type: 'pos.sales', event: s }]).ok).toBe(true);
  });

  it('lists every offending field of every event, with its path in the body', () => {
    const items = [0, 1, 2, 3, 4].map((n) => ({ type: 'pos.sales', event: sale(n) }));
    delete items[1]!.event.cashier_id;
    items[3]!.event.lines![0]!.quantity = '2';
    items[4]!.event.currency = 'euro';
    const r = rejection(items);
    expect(r.status).toBe(400);
    expect(r.error).toBe('invalid_events');
    expect(r.issues).toEqual([
      { path: 'events[1].event.cashier_id', reason: 'missing required field (string)' },
      { path: 'events[3].event.lines[0].quantity', reason: 'expected an integer (32-bit), got string "2"' },
      { path: 'events[4].event.currency', reason: 'must be an ISO 4217 code such as EUR' },
    ]);
    expect(r.message).toMatch(/^3 problems in 3 of 5 events; nothing was accepted: events\[1\]\.event\.cashier_id missing required field/);
  });

  it('refuses negative, zero and absurd quantities', () => {
    const s = sale(2); // three lines
    s.lines![0]!.quantity = -1;
    s.lines![1]!.quantity = 0;
    s.lines![2]!.quantity = 1_000_000;
    const paths = rejection([{ type: 'pos.sales', event: s }]).issues!.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['events[0].event.lines[0].quantity', 'events[0].event.lines[1].quantity', 'events[0].event.lines[2].quantity']));
  });

  it('names unknown SKUs in sale, return, movement and count events', () => {
    const s = sale(1);
    s.lines![1]!.sku = 'NOPE';
    const movement = { ...exampleEvent('inventory.movements', ctx), sku: 'GONE' };
    const count = { ...exampleEvent('inventory.counts', ctx), sku: 'GONE' };
    const ret = exampleEvent('pos.returns', ctx) as Mutable;
    ret.lines![0]!.sku = 'NOPE';
    const r = rejection([
      { type: 'pos.sales', event: s },
      { type: 'inventory.movements', event: movement },
      { type: 'inventory.counts', event: count },
      { type: 'pos.returns', event: ret },
    ]);
    expect(r.status).toBe(400);
    expect(r.issues).toEqual([
      { path: 'events[0].event.lines[1].sku', reason: 'unknown sku "NOPE": not in the product master data (md.products)' },
      { path: 'events[1].event.sku', reason: 'unknown sku "GONE": not in the product master data (md.products)' },
      { path: 'events[2].event.sku', reason: 'unknown sku "GONE": not in the product master data (md.products)' },
      { path: 'events[3].event.lines[0].sku', reason: 'unknown sku "NOPE": not in the product master data (md.products)' },
    ]);
  });

  it('refuses topics terminals do not publish to', () => {
    const r = rejection([
      { type: 'md.stores', event: {} },
      { type: 'pricing.prices', event: {} },
      { type: 42, event: {} },
      { event: {} },
    ]);
    expect(r.issues!.map((i) => i.path)).toEqual(['events[0].type', 'events[1].type', 'events[2].type', 'events[3].type']);
    expect(r.issues![0]!.reason).toMatch(/"md.stores" is not a topic terminals publish to; expected one of pos.sales/);
  });

  it('refuses malformed wrappers', () => {
    const r = rejection(['x', { type: 'pos.sales' }, { type: 'pos.sales', event: [] }, { type: 'pos.heartbeats', event: exampleEvent('pos.heartbeats', ctx), meta: 1 }]);
    expect(r.issues).toEqual([
      { path: 'events[0]', reason: 'expected an object {"type": ..., "event": {...}}, got string' },
      { path: 'events[1].event', reason: 'missing required field (the event object)' },
      { path: 'events[2].event', reason: 'expected an object, got an array' },
      { path: 'events[3].meta', reason: 'unknown field' },
    ]);
  });

  it('answers 403 for an event of another store or terminal, listing every problem', () => {
    const other = { ...sale(), store_id: 'S002' };
    const otherTill = { ...exampleEvent('pos.heartbeats', ctx), terminal_id: 'T2' };
    const broken = { ...sale(), total: 1 };
    const r = rejection([
      { type: 'pos.sales', event: other },
      { type: 'pos.heartbeats', event: otherTill },
      { type: 'pos.sales', event: broken },
    ]);
    expect(r.status).toBe(403);
    expect(r.error).toBe('forbidden_events');
    expect(r.issues!.map((i) => i.path)).toEqual(['events[0].event.store_id', 'events[1].event.terminal_id', 'events[2].event.total', 'events[2].event.tax_total']);
    expect(r.issues![0]!.reason).toBe('"S002" is not the store of this API key (S001)');
  });

  it('does not ask a terminal for events that carry none (inventory)', () => {
    expect(check([{ type: 'inventory.counts', event: exampleEvent('inventory.counts', { ...ctx, terminalId: 'OTHER' }) }]).ok).toBe(true);
  });

  it('refuses the same event_id twice in one request', () => {
    const a = sale();
    const b = { ...sale(1), event_id: a.event_id };
    expect(rejection([{ type: 'pos.sales', event: a }, { type: 'pos.sales', event: b }]).issues).toEqual([
      { path: 'events[1].event.event_id', reason: 'repeats the event_id of events[0]: every event needs its own' },
    ]);
  });

  it('lists at most MAX_LISTED_ISSUES and counts the rest', () => {
    const s = sale();
    s.lines = Array.from({ length: 600 }, () => ({}));
    const r = rejection([{ type: 'pos.sales', event: s }]);
    expect(r.issues).toHaveLength(MAX_LISTED_ISSUES);
    expect(r.issueCount).toBeGreaterThan(MAX_LISTED_ISSUES);
    expect(r.message).toMatch(/the first 1000 are listed/);
  });
});

describe('checkStore', () => {
  it('knows stores from master data only', () => {
    expect(checkStore('S001', masterData)).toBeUndefined();
    expect(checkStore('S999', masterData)).toEqual({
      status: 404,
      error: 'unknown_store',
      message: 'store "S999" is not in the store master data (md.stores): publish the store first',
    });
  });
});

describe('checkEvents with a back-office key', () => {
  const office = { keyId: 'abcdefabcdef', storeId: '*', terminalId: 'ERP', scope: 'back-office' } as const;
  const newStore = {
    store_id: 'S900',
    name: 'Leeds Small S900',
    region: 'United Kingdom',
    time_zone: 'Europe/London',
    opening_hours: [],
    size_class: 'SMALL',
    currency: 'GBP',
    opened_on: 20_000,
    updated_at: NOW - 60_000,
  };
  const price = (storeId: string, sku: string) => ({
    event_id: '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b',
    occurred_at: NOW - 60_000,
    store_id: storeId,
    sku,
    old_price: 199,
    new_price: 189,
    currency: 'EUR',
    effective_at: NOW,
  });
  const checkAs = (pathStoreId: string, items: unknown[]) => checkEvents(items, { principal: office, pathStoreId, masterData, nowMs: NOW });

  it('publishes a store that does not exist yet, a rate, and prices of a known store, master data identified by key and version', () => {
    const rate = { currency: 'GBP', base_currency: 'EUR', rate_date: 20_528, rate: 0.85, updated_at: NOW - 60_000 };
    expect(checkAs('S900', [{ type: 'md.stores', event: newStore }, { type: 'md.exchange-rates', event: rate }])).toEqual({
      ok: true,
      value: [
        { topic: 'md.stores', eventId: `md.stores:S900:${NOW - 60_000}`, event: newStore },
        { topic: 'md.exchange-rates', eventId: `md.exchange-rates:GBP:20528:${NOW - 60_000}`, event: rate },
      ],
    });
    expect(checkAs('S001', [{ type: 'pricing.prices', event: price('S001', 'SKU-1') }])).toMatchObject({ ok: true });
  });

  it('refuses sales, a store other than the path’s, prices of an unknown store and unknown skus', () => {
    const r = checkAs('S901', [
      { type: 'pos.sales', event: sale() },
      { type: 'md.stores', event: newStore },
      { type: 'pricing.prices', event: price('S901', 'SKU-9') },
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.rejection.status).toBe(403);
    expect(r.rejection.issues).toEqual([
      { path: 'events[0].type', reason: '"pos.sales" is not a topic back-office systems publish to; expected one of md.stores, md.products, md.exchange-rates, pricing.prices, pricing.promotions' },
      { path: 'events[1].event.store_id', reason: '"S900" is not the store of the path (S901)' },
      { path: 'events[2].event.store_id', reason: 'unknown store "S901": not in the store master data (md.stores): publish the store first' },
      { path: 'events[2].event.sku', reason: 'unknown sku "SKU-9": not in the product master data (md.products)' },
    ]);
  });

  it('keeps terminal keys off master data', () => {
    expect(rejection([{ type: 'md.stores', event: newStore }]).issues).toEqual([
      { path: 'events[0].type', reason: '"md.stores" is not a topic terminals publish to; expected one of pos.sales, pos.returns, pos.voids, pos.heartbeats, inventory.movements, inventory.counts, inventory.orders' },
    ]);
  });
});
