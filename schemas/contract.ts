/**
 * The event contract beyond Avro types: what a well-formed event of each topic must satisfy.
 * `contractIssues` answers every problem with the field path and the reason, so an HTTP client
 * or a dead-letter header can say exactly what is wrong. Pure: no I/O; unknown stores and SKUs
 * are checked by the caller against master data.
 */
import { Type } from 'avsc';
import { loadCatalog } from './catalog';
import type { TopicName, TopicValues } from './generated/events';

export interface ContractIssue {
  /** Field path in the event, e.g. `lines[2].quantity`; empty for the event as a whole. */
  readonly path: string;
  readonly reason: string;
}

/** Sane bounds: values outside are typos or attacks, not retail. */
export const LIMITS = {
  maxQuantity: 10_000, // units on one line or one count delta per event
  maxUnitPriceMinor: 10_000_000, // 100,000.00 in the currency
  maxLines: 500, // lines in one basket
  maxOnHand: 10_000_000,
  earliestEventMs: Date.UTC(2000, 0, 1),
  maxFutureSkewMs: 24 * 3_600_000, // a terminal clock may be off, not by more than a day
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURRENCY = /^[A-Z]{3}$/;

const types: ReadonlyMap<string, Type> = new Map(
  loadCatalog()
    .filter((t) => t.schema)
    .map((t) => [t.name, Type.forSchema(t.schema as Parameters<typeof Type.forSchema>[0])]),
);

export function avroTypeOf(topic: string): Type | undefined {
  return types.get(topic);
}

/** Avro type errors with paths, e.g. `lines[0].quantity: expected int, got "2"`. */
function typeIssues(type: Type, value: unknown): ContractIssue[] {
  const issues: ContractIssue[] = [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [{ path: '', reason: 'expected a JSON object' }];
  type.isValid(value, {
    errorHook: (path: string[], got: unknown, expected: Type) => {
      const where = path.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
      const reason = got === undefined ? `missing required field (${describeType(expected)})` : `expected ${describeType(expected)}, got ${describeValue(got)}`;
      issues.push({ path: where, reason });
    },
  });
  const known = new Set(((type as unknown as { fields: { name: string }[] }).fields ?? []).map((f) => f.name));
  for (const key of Object.keys(value)) if (!known.has(key)) issues.push({ path: key, reason: 'unknown field' });
  return issues;
}

function describeType(type: Type): string {
  const name = type.typeName;
  if (name === 'enum') return `one of ${(type as unknown as { symbols: string[] }).symbols.join(', ')}`;
  if (name === 'union:unwrapped' || name === 'union:wrapped' || name === 'union') {
    return (type as unknown as { types: Type[] }).types.map(describeType).join(' or ');
  }
  if (name === 'int') return 'an integer (32-bit)';
  if (name === 'long') return 'an integer';
  if (name === 'record') return 'an object';
  return name === 'array' ? 'an array' : name;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number' && !Number.isInteger(v)) return `the fraction ${v}`;
  if (typeof v === 'number' && !Number.isSafeInteger(v)) return 'a number too large';
  const text = JSON.stringify(v);
  return text.length > 40 ? `${typeof v} ${text.slice(0, 37)}...` : `${typeof v} ${text}`;
}

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
};

/**
 * Every way `value` breaks the contract of `topic`: Avro type errors first (with paths); the
 * business rules only when the types are right, since they read the fields.
 */
export function contractIssues(topic: string, value: unknown, nowMs: number = Date.now()): ContractIssue[] {
  const type = types.get(topic);
  if (!type) return [{ path: '', reason: `unknown topic ${topic}` }];
  const issues = typeIssues(type, value);
  if (issues.length > 0) return issues;
  const out: ContractIssue[] = [];
  const issue = (path: string, reason: string): void => void out.push({ path, reason });
  // Rules read the event as a consumer will see it: fields left out take their defaults.
  const event = normalizeEvent(type, value);
  if ('event_id' in event && 'occurred_at' in event) common(event as never, issue, nowMs);
  (RULES[topic as TopicName] as Rule<unknown> | undefined)?.(event, issue, nowMs);
  return out;
}

function normalizeEvent(type: Type, value: unknown): Record<string, unknown> {
  return type.fromBuffer(type.toBuffer(value)) as Record<string, unknown>;
}

/** The event with every defaulted field filled in, exactly as it will be encoded. */
export function completeEvent<T extends TopicName>(topic: T, value: unknown): TopicValues[T] {
  const type = types.get(topic);
  if (!type) throw new Error(`unknown topic ${topic}`);
  return normalizeEvent(type, value) as unknown as TopicValues[T];
}

/**
 * The business rules only, for an event that was decoded from Avro (its types, and every
 * field, are guaranteed by the decoding). Cheap enough for the processors' hot path.
 */
export function decodedEventIssues(topic: string, event: unknown, nowMs: number = Date.now()): ContractIssue[] {
  const rule = RULES[topic as TopicName] as Rule<unknown> | undefined;
  const out: ContractIssue[] = [];
  const issue = (path: string, reason: string): void => void out.push({ path, reason });
  const e = event as Record<string, unknown>;
  if ('event_id' in e && 'occurred_at' in e) common(e as never, issue, nowMs);
  rule?.(event, issue, nowMs);
  return out;
}
