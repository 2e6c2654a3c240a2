/**
 * Well-formed example events for each ingest topic, consistent with the contract (totals add
 * up, signs match movement types). The tests start from them and break one thing at a time;
 * the benchmark sends them. `n` varies the basket so not every event is the same size.
 */
import { randomUUID } from 'node:crypto';
import type { IngestTopic } from './validate';

export interface ExampleContext {
  readonly storeId: string;
  readonly terminalId: string;
  /** SKUs known to master data; lines pick from them. */
  readonly skus: readonly string[];
  /** Event time (epoch ms, UTC). */
  readonly occurredAt: number;
  readonly eventId?: () => string;
}

export function exampleEvent(topic: IngestTopic, ctx: ExampleContext, n = 0): Record<string, unknown> {
  const base = { event_id: (ctx.eventId ?? randomUUID)(), occurred_at: ctx.occurredAt, store_id: ctx.storeId };
  const sku = (i: number): string => ctx.skus[i % ctx.skus.length]!;
  switch (topic) {
    case 'pos.sales': {
      const lines = Array.from({ length: 1 + (n % 3) }, (_, i) => ({
        line_number: i + 1,
        sku: sku(n + i),
        quantity: 1 + ((n + i) % 4),
        unit_price: 99 + 100 * ((n + i) % 7),
        discount: i === 1 ? 20 : 0,
        promotion_id: i === 1 ? 'PROMO-1' : null,
      }));
      const subtotal = lines.reduce((s, l) => s + l.quantity * l.unit_price, 0);
      const discount = lines.reduce((s, l) => s + l.discount, 0);
      return {
        ...base,
        terminal_id: ctx.terminalId,
        transaction_id: `TX-${n}`,
        cashier_id: 'C-7',
        payment_method: n % 2 === 0 ? 'CARD' : 'CASH',
        currency: 'EUR',
        lines,
        subtotal,
        discount_total: discount,
        tax_total: Math.floor((subtotal - discount) / 6),
        total: subtotal - discount,
      };
    }
    case 'pos.returns':
      return {
        ...base,
        terminal_id: ctx.terminalId,
        return_id: `RT-${n}`,
        original_transaction_id: `TX-${n}`,
        cashier_id: 'C-7',
        currency: 'EUR',
        lines: [{ sku: sku(n), quantity: 1, refund_amount: 199, restockable: true, reason: 'UNWANTED' }],
        refund_total: 199,
      };
    case 'pos.voids':
      return {
        ...base,
        terminal_id: ctx.terminalId,
        transaction_id: `TX-${n}`,
        cashier_id: 'C-7',
        supervisor_id: 'SUP-1',
        currency: 'EUR',
        line_count: 2,
        void_total: 598,
        reason: 'SCAN_ERROR',
      };
    case 'pos.heartbeats':
      return { ...base, terminal_id: ctx.terminalId, software_version: '4.2.1', queue_depth: n % 5 };
    case 'inventory.movements':
      return { ...base, sku: sku(n), movement_type: 'RECEIPT', quantity_delta: 24, reason: 'supplier delivery', reference_id: `PO-${n}`, unit_cost: 120 };
    case 'inventory.counts':
      return { ...base, sku: sku(n), on_hand: 17 + (n % 10), counted_by: 'E-12' };
    case 'inventory.orders':
      // Placed at closing, planned for the receiving slot two mornings later.
      return { ...base, sku: sku(n), order_id: `PO-${n}`, quantity: 24 * (1 + (n % 3)), expected_delivery_at: ctx.occurredAt + 2 * 86_400_000 - 13 * 3_600_000, lead_time_days: 2 };
  }
}
