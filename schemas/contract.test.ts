import { randomUUID } from 'node:crypto';
import { contractIssues } from './contract';

const NOW = Date.UTC(2026, 10, 23, 12);

function sale(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  // 2 x 1.99 with 0.50 off, plus 1 x 5.00: subtotal 898, discounts 50, total 848.
  return {
    event_id: randomUUID(),
    occurred_at: NOW - 60_000,
    store_id: 'S001',
    terminal_id: 'T1',
    transaction_id: 'TX-1',
    cashier_id: 'C7',
    payment_method: 'CARD',
    currency: 'EUR',
    lines: [
      { line_number: 1, sku: 'SKU-1', quantity: 2, unit_price: 199, discount: 50, promotion_id: 'P1' },
      { line_number: 2, sku: 'SKU-2', quantity: 1, unit_price: 500, discount: 0, promotion_id: null },
    ],
    subtotal: 898,
    discount_total: 50,
    tax_total: 141,
    total: 848,
    ...overrides,
  };
}

describe('contractIssues', () => {
  it('accepts a well-formed sale', () => {
    expect(contractIssues('pos.sales', sale(), NOW)).toEqual([]);
  });

  it('accepts a sale that leaves out fields with defaults', () => {
    const s = sale();
    delete s.tax_total;
    (s.lines as Record<string, unknown>[]).forEach((l) => delete l.promotion_id);
    expect(contractIssues('pos.sales', s, NOW)).toEqual([]);
  });

  it('names the path of a wrong type and of a missing field', () => {
    const s = sale();
    (s.lines as Record<string, unknown>[])[1]!.quantity = '1';
    delete s.cashier_id;
    expect(contractIssues('pos.sales', s, NOW)).toEqual(
      expect.arrayContaining([
        { path: 'lines[1].quantity', reason: 'expected an integer (32-bit), got string "1"' },
        { path: 'cashier_id', reason: 'missing required field (string)' },
      ]),
    );
  });

  it('names an unknown field and an invalid enum symbol', () => {
    expect(contractIssues('pos.sales', sale({ payment_method: 'CHEQUE', tip: 3 }), NOW)).toEqual(
      expect.arrayContaining([
        { path: 'payment_method', reason: 'expected one of CASH, CARD, MOBILE, GIFT_CARD, OTHER, got string "CHEQUE"' },
        { path: 'tip', reason: 'unknown field' },
      ]),
    );
  });

  it('checks totals against the lines, with the expected value in the reason', () => {
    expect(contractIssues('pos.sales', sale({ total: 900 }), NOW)).toEqual([{ path: 'total', reason: 'must equal subtotal - discount_total (848), got 900' }]);
    expect(contractIssues('pos.sales', sale({ subtotal: 1 }), NOW)).toContainEqual({ path: 'subtotal', reason: 'must equal the sum of quantity x unit_price (898), got 1' });
  });

  it('refuses negative and absurd quantities, and bad ids and times', () => {
    const s = sale({ event_id: 'not-a-uuid', occurred_at: NOW + 2 * 86_400_000 });
    (s.lines as Record<string, unknown>[])[0]!.quantity = -2;
    (s.lines as Record<string, unknown>[])[1]!.quantity = 1_000_000;
    const paths = contractIssues('pos.sales', s, NOW).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['event_id', 'occurred_at', 'lines[0].quantity', 'lines[1].quantity']));
  });

  it('refuses a fractional amount (money is integer minor units)', () => {
    expect(contractIssues('pos.sales', sale({ total: 8.48 }), NOW)).toContainEqual({ path: 'total', reason: 'expected an integer, got the fraction 8.48' });
  });

  it('checks the sign of inventory movements', () => {
    const movement = { event_id: randomUUID(), occurred_at: NOW, store_id: 'S1', sku: 'K', movement_type: 'SHRINK', quantity_delta: 3, reason: 'theft', reference_id: null, unit_cost: null };
    expect(contractIssues('inventory.movements', movement, NOW)).toEqual([{ path: 'quantity_delta', reason: 'must be negative for SHRINK' }]);
    expect(contractIssues('inventory.movements', { ...movement, quantity_delta: -3 }, NOW)).toEqual([]);
  });

  it('checks a replenishment order: units, a planned delivery after the order, a lead time, an order id', () => {
    const order = { event_id: randomUUID(), occurred_at: NOW - 3_600_000, store_id: 'S1', sku: 'K', order_id: 'PO-S1-7', quantity: 24, expected_delivery_at: NOW + 2 * 86_400_000, lead_time_days: 2 };
    expect(contractIssues('inventory.orders', order, NOW)).toEqual([]);
    expect(contractIssues('inventory.orders', { ...order, quantity: 0 }, NOW)).toEqual([{ path: 'quantity', reason: 'must be between 1 and 1000000 units, got 0' }]);
    expect(contractIssues('inventory.orders', { ...order, expected_delivery_at: order.occurred_at }, NOW)).toEqual([
      { path: 'expected_delivery_at', reason: 'must be after occurred_at (a delivery is planned after the order is placed)' },
    ]);
    expect(contractIssues('inventory.orders', { ...order, expected_delivery_at: order.occurred_at + 400 * 86_400_000 }, NOW)).toEqual([{ path: 'expected_delivery_at', reason: 'must be at most 365 days after occurred_at' }]);
    expect(contractIssues('inventory.orders', { ...order, lead_time_days: -1, order_id: '' }, NOW).map((i) => i.path)).toEqual(['order_id', 'lead_time_days']);
    // A planned delivery is in the future by nature: only occurred_at is held to the clock.
    expect(contractIssues('inventory.orders', { ...order, expected_delivery_at: NOW + 30 * 86_400_000 }, NOW)).toEqual([]);
  });

  it('refuses something that is not an object, and an unknown topic', () => {
    expect(contractIssues('pos.sales', [1, 2], NOW)).toEqual([{ path: '', reason: 'expected a JSON object' }]);
    expect(contractIssues('pos.nope', {}, NOW)).toEqual([{ path: '', reason: 'unknown topic pos.nope' }]);
  });
});

describe('exchange-rate and store master data', () => {
  const rate = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    currency: 'GBP',
    base_currency: 'EUR',
    rate_date: 20_528,
    rate: 0.8512,
    source: 'ECB',
    updated_at: NOW,
    ...overrides,
  });

  it('accepts a rate, and one that leaves out its source', () => {
    expect(contractIssues('md.exchange-rates', rate(), NOW)).toEqual([]);
    const r = rate();
    delete r.source;
    expect(contractIssues('md.exchange-rates', r, NOW)).toEqual([]);
  });

  it('names each broken field of a rate', () => {
    expect(contractIssues('md.exchange-rates', rate({ rate: 0 }), NOW)).toEqual([{ path: 'rate', reason: expect.stringContaining('must be a positive number') }]);
    expect(contractIssues('md.exchange-rates', rate({ rate: -1.2 }), NOW).map((i) => i.path)).toEqual(['rate']);
    expect(contractIssues('md.exchange-rates', rate({ currency: 'pound' }), NOW)).toEqual([{ path: 'currency', reason: 'must be an ISO 4217 code such as GBP' }]);
    expect(contractIssues('md.exchange-rates', rate({ base_currency: 'EURO' }), NOW).map((i) => i.path)).toEqual(['base_currency']);
    expect(contractIssues('md.exchange-rates', rate({ rate_date: 5 }), NOW).map((i) => i.path)).toEqual(['rate_date']);
    expect(contractIssues('md.exchange-rates', rate({ currency: 'EUR', rate: 1.1 }), NOW)).toEqual([{ path: 'rate', reason: 'must be 1 when currency equals base_currency, got 1.1' }]);
    expect(contractIssues('md.exchange-rates', rate({ rate_date: '2026-03-16' }), NOW)).toEqual([{ path: 'rate_date', reason: expect.stringContaining('expected an integer') }]);
  });

  it('takes a store with or without its VAT rate, and refuses one outside 0 to 1', () => {
    const store = (vat: unknown): Record<string, unknown> => ({
      store_id: 'S900',
      name: 'Leeds Small S900',
      region: 'United Kingdom',
      time_zone: 'Europe/London',
      opening_hours: [],
      size_class: 'SMALL',
      currency: 'GBP',
      opened_on: 19_000,
      ...(vat === undefined ? {} : { vat_rate: vat }),
      updated_at: NOW,
    });
    expect(contractIssues('md.stores', store(undefined), NOW)).toEqual([]);
    expect(contractIssues('md.stores', store(0.2), NOW)).toEqual([]);
    expect(contractIssues('md.stores', store(20), NOW)).toEqual([{ path: 'vat_rate', reason: 'must be a fraction from 0 to below 1 (0.2 = 20%), got 20' }]);
    // The holiday calendar is optional too, and one of the cultures the holiday rules know.
    expect(contractIssues('md.stores', { ...store(0.2), holiday_calendar: 'muslim' }, NOW)).toEqual([]);
    expect(contractIssues('md.stores', { ...store(0.2), holiday_calendar: 'lunar' }, NOW)).toEqual([{ path: 'holiday_calendar', reason: 'must be one of western, muslim or null, got "lunar"' }]);
  });
});
