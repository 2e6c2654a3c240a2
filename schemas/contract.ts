/**
 * The event contract beyond Avro types: what a well-formed event of each topic must satisfy.
 * `contractIssues` answers every problem with the field path and the reason, so an HTTP client
 * or a dead-letter header can say exactly what is wrong. Pure: no I/O; unknown stores and SKUs
 * are checked by the caller against master data. Each business rule names the fields it reads,
 * so a processor that decodes a projection (projection.ts) runs exactly the rules on its fields.
 */
import { Type } from 'avsc';
import { CULTURES, type Culture } from '../lib/domain/calendar';
import { loadCatalog } from './catalog';
import type { TopicName, TopicValues } from './generated/events';
import { selects, type FieldSelection } from './projection';

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
  maxLeadTimeDays: 365, // a replenishment order planned to arrive more than a year out is a typo
  maxExchangeRate: 1_000_000, // units of a currency per base unit: the weakest currencies trade at tens of thousands
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

type Report = (path: string, reason: string) => void;

/**
 * One business rule, with the fields it reads: under a projection (projection.ts) a rule runs
 * only when the processor reads every one of them. Paths are built only for an issue: a valid
 * record allocates nothing here (profiling velocity showed the old per-line template strings,
 * a Set and closures per record as garbage).
 */
interface Check<E> {
  /** Field paths read, e.g. `lines[].quantity`. */
  readonly reads: readonly string[];
  readonly run: (event: E, issue: Report, nowMs: number) => void;
}

/** A rule on the i-th element of an array field (a basket line). */
interface ElementCheck<L> {
  readonly reads: readonly string[];
  readonly run: (items: readonly L[], i: number, issue: Report) => void;
}

/** Rules run in order; an `each` step runs its element rules line by line (line 0's issues, then line 1's). */
type Step<E> = Check<E> | { readonly each: string; readonly checks: readonly ElementCheck<never>[] };

function outside(v: number, min: number, max: number): boolean {
  return v < min || v > max;
}

function between(min: number, max: number, unit: string, v: number): string {
  return `must be between ${min} and ${max}${unit}, got ${v}`;
}

/** Steps of every event that has both an event_id and an occurred_at (not master data). */
const COMMON: readonly Check<{ event_id: string; occurred_at: number; currency?: string }>[] = [
  { reads: ['event_id'], run: (e, issue) => void (UUID.test(e.event_id) || issue('event_id', 'must be a UUID')) },
  {
    reads: ['occurred_at'],
    run: (e, issue) => void (e.occurred_at < LIMITS.earliestEventMs && issue('occurred_at', `is before 2000-01-01 (${e.occurred_at} ms): expected epoch milliseconds, UTC`)),
  },
  { reads: ['occurred_at'], run: (e, issue, now) => void (e.occurred_at > now + LIMITS.maxFutureSkewMs && issue('occurred_at', 'is more than a day in the future')) },
  { reads: ['currency'], run: (e, issue) => void (e.currency !== undefined && !CURRENCY.test(e.currency) && issue('currency', 'must be an ISO 4217 code such as EUR')) },
];

type Lines<T extends TopicName> = TopicValues[T] extends { lines: readonly (infer L)[] } ? L : never;
type SaleLine = Lines<'pos.sales'>;
type ReturnLine = Lines<'pos.returns'>;

/** An element rule, typed for its array (Step keeps them as `never` elements to hold any). */
function element<L>(check: ElementCheck<L>): ElementCheck<never> {
  return check as unknown as ElementCheck<never>;
}

const RULES: { readonly [T in TopicName]?: readonly Step<TopicValues[T]>[] } = {
  'pos.sales': [
    { reads: ['lines'], run: (e, issue) => void (e.lines.length === 0 && issue('lines', 'a sale needs at least one line')) },
    { reads: ['lines'], run: (e, issue) => void (e.lines.length > LIMITS.maxLines && issue('lines', `at most ${LIMITS.maxLines} lines`)) },
    {
      each: 'lines',
      checks: [
        element<SaleLine>({
          reads: ['lines[].quantity'],
          run: (ls, i, issue) => void (outside(ls[i]!.quantity, 1, LIMITS.maxQuantity) && issue(`lines[${i}].quantity`, between(1, LIMITS.maxQuantity, '', ls[i]!.quantity))),
        }),
        element<SaleLine>({
          reads: ['lines[].unit_price'],
          run: (ls, i, issue) =>
            void (outside(ls[i]!.unit_price, 0, LIMITS.maxUnitPriceMinor) && issue(`lines[${i}].unit_price`, between(0, LIMITS.maxUnitPriceMinor, ' minor units', ls[i]!.unit_price))),
        }),
        element<SaleLine>({
          reads: ['lines[].discount', 'lines[].quantity', 'lines[].unit_price'],
          run: (ls, i, issue) => {
            const l = ls[i]!;
            if (l.discount < 0 || l.discount > l.quantity * l.unit_price) issue(`lines[${i}].discount`, `must be between 0 and quantity x unit_price (${l.quantity * l.unit_price}), got ${l.discount}`);
          },
        }),
        element<SaleLine>({
          reads: ['lines[].line_number'],
          run: (ls, i, issue) => {
            // A scan of the earlier lines instead of a Set per basket: baskets are short, and
            // this flags the same lines (every repeat after the first).
            const n = ls[i]!.line_number;
            for (let j = 0; j < i; j++) {
              if (ls[j]!.line_number === n) {
                issue(`lines[${i}].line_number`, `line_number ${n} appears twice`);
                return;
              }
            }
          },
        }),
      ],
    },
    {
      reads: ['subtotal', 'lines[].quantity', 'lines[].unit_price'],
      run: (e, issue) => {
        let subtotal = 0;
        for (const l of e.lines) subtotal += l.quantity * l.unit_price;
        if (e.subtotal !== subtotal) issue('subtotal', `must equal the sum of quantity x unit_price (${subtotal}), got ${e.subtotal}`);
      },
    },
    {
      reads: ['discount_total', 'lines[].discount'],
      run: (e, issue) => {
        let discounts = 0;
        for (const l of e.lines) discounts += l.discount;
        if (e.discount_total !== discounts) issue('discount_total', `must equal the sum of line discounts (${discounts}), got ${e.discount_total}`);
      },
    },
    {
      reads: ['total', 'subtotal', 'discount_total'],
      run: (e, issue) => void (e.total !== e.subtotal - e.discount_total && issue('total', `must equal subtotal - discount_total (${e.subtotal - e.discount_total}), got ${e.total}`)),
    },
    { reads: ['tax_total', 'total'], run: (e, issue) => void ((e.tax_total < 0 || e.tax_total > e.total) && issue('tax_total', 'must be between 0 and total')) },
  ],
  'pos.returns': [
    { reads: ['lines'], run: (e, issue) => void (e.lines.length === 0 && issue('lines', 'a return needs at least one line')) },
    {
      each: 'lines',
      checks: [
        element<ReturnLine>({
          reads: ['lines[].quantity'],
          run: (ls, i, issue) => void (outside(ls[i]!.quantity, 1, LIMITS.maxQuantity) && issue(`lines[${i}].quantity`, between(1, LIMITS.maxQuantity, '', ls[i]!.quantity))),
        }),
        element<ReturnLine>({
          reads: ['lines[].refund_amount', 'lines[].quantity'],
          run: (ls, i, issue) => {
            const l = ls[i]!;
            const max = LIMITS.maxUnitPriceMinor * l.quantity;
            if (outside(l.refund_amount, 0, max)) issue(`lines[${i}].refund_amount`, between(0, max, ' minor units', l.refund_amount));
          },
        }),
      ],
    },
    {
      reads: ['refund_total', 'lines[].refund_amount'],
      run: (e, issue) => {
        let refunds = 0;
        for (const l of e.lines) refunds += l.refund_amount;
        if (e.refund_total !== refunds) issue('refund_total', `must equal the sum of refund_amount (${refunds}), got ${e.refund_total}`);
      },
    },
  ],
  'pos.voids': [
    { reads: ['line_count'], run: (e, issue) => void (outside(e.line_count, 0, LIMITS.maxLines) && issue('line_count', between(0, LIMITS.maxLines, '', e.line_count))) },
    {
      reads: ['void_total'],
      run: (e, issue) => {
        const max = LIMITS.maxUnitPriceMinor * LIMITS.maxLines;
        if (outside(e.void_total, 0, max)) issue('void_total', between(0, max, ' minor units', e.void_total));
      },
    },
  ],
  'inventory.movements': [
    { reads: ['quantity_delta'], run: (e, issue) => void (e.quantity_delta === 0 && issue('quantity_delta', 'must not be 0')) },
    {
      reads: ['quantity_delta'],
      run: (e, issue) => {
        const v = Math.abs(e.quantity_delta);
        if (outside(v, 1, LIMITS.maxQuantity * 100)) issue('quantity_delta', between(1, LIMITS.maxQuantity * 100, ' units (absolute)', v));
      },
    },
    {
      reads: ['quantity_delta', 'movement_type'],
      run: (e, issue) => {
        const positive = e.movement_type === 'RECEIPT' || e.movement_type === 'TRANSFER_IN';
        const negative = e.movement_type === 'SHRINK' || e.movement_type === 'TRANSFER_OUT';
        if (positive && e.quantity_delta < 0) issue('quantity_delta', `must be positive for ${e.movement_type}`);
        if (negative && e.quantity_delta > 0) issue('quantity_delta', `must be negative for ${e.movement_type}`);
      },
    },
    {
      reads: ['unit_cost'],
      run: (e, issue) => void (e.unit_cost !== null && outside(e.unit_cost, 0, LIMITS.maxUnitPriceMinor) && issue('unit_cost', between(0, LIMITS.maxUnitPriceMinor, ' minor units', e.unit_cost))),
    },
  ],
  'inventory.counts': [{ reads: ['on_hand'], run: (e, issue) => void (outside(e.on_hand, 0, LIMITS.maxOnHand) && issue('on_hand', between(0, LIMITS.maxOnHand, '', e.on_hand))) }],
  'inventory.orders': [
    {
      reads: ['quantity'],
      run: (e, issue) => void (outside(e.quantity, 1, LIMITS.maxQuantity * 100) && issue('quantity', between(1, LIMITS.maxQuantity * 100, ' units', e.quantity))),
    },
    { reads: ['order_id'], run: (e, issue) => void (e.order_id.trim() === '' && issue('order_id', 'must not be empty: the RECEIPT of the delivery names it')) },
    {
      reads: ['lead_time_days'],
      run: (e, issue) => void (outside(e.lead_time_days, 0, LIMITS.maxLeadTimeDays) && issue('lead_time_days', between(0, LIMITS.maxLeadTimeDays, ' days', e.lead_time_days))),
    },
    {
      reads: ['expected_delivery_at', 'occurred_at'],
      run: (e, issue) => {
        const ahead = e.expected_delivery_at - e.occurred_at;
        if (ahead <= 0) issue('expected_delivery_at', 'must be after occurred_at (a delivery is planned after the order is placed)');
        else if (ahead > LIMITS.maxLeadTimeDays * 86_400_000) issue('expected_delivery_at', `must be at most ${LIMITS.maxLeadTimeDays} days after occurred_at`);
      },
    },
  ],
  'pricing.prices': [
    { reads: ['old_price'], run: (e, issue) => void (outside(e.old_price, 0, LIMITS.maxUnitPriceMinor) && issue('old_price', between(0, LIMITS.maxUnitPriceMinor, ' minor units', e.old_price))) },
    { reads: ['new_price'], run: (e, issue) => void (outside(e.new_price, 0, LIMITS.maxUnitPriceMinor) && issue('new_price', between(0, LIMITS.maxUnitPriceMinor, ' minor units', e.new_price))) },
  ],
  'pricing.promotions': [
    { reads: ['discount_percent'], run: (e, issue) => void (outside(e.discount_percent, 1, 90) && issue('discount_percent', between(1, 90, ' percent', e.discount_percent))) },
    { reads: ['skus'], run: (e, issue) => void (e.skus.length === 0 && issue('skus', 'a promotion needs at least one sku')) },
    { reads: ['ends_at', 'starts_at'], run: (e, issue) => void (e.ends_at <= e.starts_at && issue('ends_at', 'must be after starts_at')) },
  ],
  'md.exchange-rates': [
    { reads: ['currency'], run: (e, issue) => void (!CURRENCY.test(e.currency) && issue('currency', 'must be an ISO 4217 code such as GBP')) },
    { reads: ['base_currency'], run: (e, issue) => void (!CURRENCY.test(e.base_currency) && issue('base_currency', 'must be an ISO 4217 code such as EUR')) },
    {
      // NaN and Infinity pass Avro's double: a rate must be a real, positive number of units.
      reads: ['rate'],
      run: (e, issue) => void (!(Number.isFinite(e.rate) && e.rate > 0 && e.rate <= LIMITS.maxExchangeRate) && issue('rate', `must be a positive number of currency units per base unit, at most ${LIMITS.maxExchangeRate}, got ${e.rate}`)),
    },
    {
      reads: ['rate', 'currency', 'base_currency'],
      run: (e, issue) => void (e.currency === e.base_currency && e.rate !== 1 && issue('rate', `must be 1 when currency equals base_currency, got ${e.rate}`)),
    },
    {
      reads: ['rate_date'],
      run: (e, issue) => {
        const ms = e.rate_date * 86_400_000;
        if (!Number.isInteger(e.rate_date) || ms < LIMITS.earliestEventMs) issue('rate_date', `must be a date on or after 2000-01-01 (days since 1970-01-01), got ${e.rate_date}`);
      },
    },
  ],
  'md.stores': [
    {
      reads: ['vat_rate'],
      run: (e, issue) => void (e.vat_rate !== null && !(e.vat_rate >= 0 && e.vat_rate < 1) && issue('vat_rate', `must be a fraction from 0 to below 1 (0.2 = 20%), got ${e.vat_rate}`)),
    },
    { reads: ['currency'], run: (e, issue) => void (!CURRENCY.test(e.currency) && issue('currency', 'must be an ISO 4217 code such as EUR')) },
    {
      reads: ['holiday_calendar'],
      run: (e, issue) => void (e.holiday_calendar !== null && !CULTURES.includes(e.holiday_calendar as Culture) && issue('holiday_calendar', `must be one of ${CULTURES.join(', ')} or null, got ${JSON.stringify(e.holiday_calendar)}`)),
    },
  ],
  'pos.heartbeats': [{ reads: ['queue_depth'], run: (e, issue) => void (outside(e.queue_depth, 0, 10_000_000) && issue('queue_depth', between(0, 10_000_000, '', e.queue_depth))) }],
};

/** The business rules of a topic for decoded (type-correct, complete) events: issues in rule order, empty when none. */
export type ContractCheck = (event: unknown, nowMs: number) => readonly ContractIssue[];

const NO_ISSUES: readonly ContractIssue[] = Object.freeze([]);

/**
 * The rules of `topic` that read only selected fields, flattened once into a list, so a record
 * costs a loop over plain functions rather than a walk of the rule set (see `decodedEventIssues`).
 */
function compile(topic: string, selection: FieldSelection | undefined): ContractCheck {
  const fields = new Set(((types.get(topic) as unknown as { fields?: { name: string }[] } | undefined)?.fields ?? []).map((f) => f.name));
  const applies = (reads: readonly string[]): boolean => reads.every((path) => selects(selection, path));
  const steps: Step<unknown>[] = [];
  // Master data (no event_id and occurred_at) has no common rules.
  if (fields.has('event_id') && fields.has('occurred_at')) steps.push(...(COMMON as readonly Step<unknown>[]));
  steps.push(...((RULES[topic as TopicName] ?? []) as readonly Step<unknown>[]));
  const plan: ({ kind: 'record'; check: Check<unknown> } | { kind: 'each'; field: string; checks: ElementCheck<unknown>[] })[] = [];
  for (const step of steps) {
    if ('each' in step) {
      const checks = (step.checks as readonly ElementCheck<unknown>[]).filter((c) => applies(c.reads));
      if (checks.length > 0) plan.push({ kind: 'each', field: step.each, checks });
    } else if (applies(step.reads)) {
      plan.push({ kind: 'record', check: step });
    }
  }
  if (plan.length === 0) return () => NO_ISSUES;
  // One collector per compiled check, reset per call: a check runs synchronously to its end.
  let out: ContractIssue[] | undefined;
  const issue: Report = (path, reason) => void (out ??= []).push({ path, reason });
  return (event, nowMs) => {
    out = undefined;
    for (let s = 0; s < plan.length; s++) {
      const step = plan[s]!;
      if (step.kind === 'record') step.check.run(event, issue, nowMs);
      else {
        const items = (event as Record<string, readonly unknown[]>)[step.field]!;
        for (let i = 0; i < items.length; i++) for (let c = 0; c < step.checks.length; c++) step.checks[c]!.run(items, i, issue);
      }
    }
    const found = out;
    out = undefined;
    return found ?? NO_ISSUES;
  };
}

const fullChecks = new Map<string, ContractCheck>();
const projectedChecks = new WeakMap<FieldSelection, Map<string, ContractCheck>>();

/**
 * The check of `topic`'s business rules, compiled once per (topic, selection). With a selection,
 * only the rules whose fields are all selected: a processor judges only what it reads, so a
 * record broken in a field it ignores is not its dead letter (another processor that reads
 * that field sidelines it).
 */
export function contractCheck(topic: string, selection?: FieldSelection): ContractCheck {
  let cache = fullChecks;
  if (selection) {
    let byTopic = projectedChecks.get(selection);
    if (!byTopic) projectedChecks.set(selection, (byTopic = new Map()));
    cache = byTopic;
  }
  let check = cache.get(topic);
  if (!check) cache.set(topic, (check = compile(topic, selection)));
  return check;
}

/**
 * Every way `value` breaks the contract of `topic`: Avro type errors first (with paths); the
 * business rules only when the types are right, since they read the fields.
 */
export function contractIssues(topic: string, value: unknown, nowMs: number = Date.now()): ContractIssue[] {
  const type = types.get(topic);
  if (!type) return [{ path: '', reason: `unknown topic ${topic}` }];
  const issues = typeIssues(type, value);
  if (issues.length > 0) return issues;
  // Rules read the event as a consumer will see it: fields left out take their defaults.
  return [...contractCheck(topic)(normalizeEvent(type, value), nowMs)];
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
 * field, are guaranteed by the decoding). Cheap enough for the processors' hot path; a
 * processor reading a projection uses `contractCheck(topic, selection)`.
 */
export function decodedEventIssues(topic: string, event: unknown, nowMs: number = Date.now()): readonly ContractIssue[] {
  return contractCheck(topic)(event, nowMs);
}
