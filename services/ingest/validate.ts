/**
 * What makes an ingest request acceptable, as pure functions from the parsed body to either
 * the events to produce or a rejection that names every problem with its field path, e.g.
 * `events[3].event.lines[0].quantity`. The contract (Avro types and business rules) comes from
 * schemas/contract.ts; this module adds what only ingest knows: the envelope, the topics a
 * terminal may publish to, the identity of the API key, and the master data.
 * A request is accepted whole or rejected whole.
 */
import { contractIssues, type ContractIssue } from '../../schemas/contract';
import type { KeyScope, Principal } from './api-keys';
import type { MasterDataView } from './master-data';

/**
 * Topics a store's systems may publish to: its tills, and its back office (stock movements,
 * counts, and the replenishment orders its ordering system places). Master data and pricing
 * come from head office.
 */
export const INGEST_TOPICS = ['pos.sales', 'pos.returns', 'pos.voids', 'pos.heartbeats', 'inventory.movements', 'inventory.counts', 'inventory.orders'] as const;
export type IngestTopic = (typeof INGEST_TOPICS)[number];

/**
 * Topics a head-office system may publish to with a back-office key: the master data (a new
 * store is published here before its tills send a sale) and the pricing events of any store.
 */
export const BACK_OFFICE_TOPICS = ['md.stores', 'md.products', 'md.exchange-rates', 'pricing.prices', 'pricing.promotions'] as const;
export type BackOfficeTopic = (typeof BACK_OFFICE_TOPICS)[number];
/** Every topic an ingest request can name, whichever key's scope allows it. */
export type PublishableTopic = IngestTopic | BackOfficeTopic;
const TOPICS_OF_SCOPE: Readonly<Record<KeyScope, ReadonlySet<string>>> = { terminal: new Set(INGEST_TOPICS), 'back-office': new Set(BACK_OFFICE_TOPICS) };
/** The master-data topics have no event_id: a record is identified by its key and version. */
const MASTER_DATA_ID: Readonly<Partial<Record<PublishableTopic, (e: Record<string, unknown>) => string>>> = {
  'md.stores': (e) => `md.stores:${String(e.store_id)}:${String(e.updated_at)}`,
  'md.products': (e) => `md.products:${String(e.sku)}:${String(e.updated_at)}`,
  'md.exchange-rates': (e) => `md.exchange-rates:${String(e.currency)}:${String(e.rate_date)}:${String(e.updated_at)}`,
};

/** Topics whose events name the terminal that produced them; it must be the key's terminal. */
const HAS_TERMINAL: ReadonlySet<PublishableTopic> = new Set<PublishableTopic>(['pos.sales', 'pos.returns', 'pos.voids', 'pos.heartbeats']);

/** Issues past this many are counted, not listed: a hostile 1 MiB body could otherwise make millions. */
export const MAX_LISTED_ISSUES = 1_000;

export type Issue = ContractIssue;

/** The `error` field of every error body (snake_case, stable: clients branch on it). */
export type ErrorName =
  | 'unauthorized'
  | 'forbidden_store'
  | 'forbidden_events'
  | 'invalid_json'
  | 'invalid_body'
  | 'invalid_events'
  | 'unknown_store'
  | 'body_too_large'
  | 'too_many_events'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable'
  | 'not_found'
  | 'internal_error';

export interface Rejection {
  readonly status: 400 | 401 | 403 | 404 | 413 | 415 | 429 | 503 | 500;
  readonly error: ErrorName;
  readonly message: string;
  readonly issues?: readonly Issue[];
  /** Set when more issues were found than listed. */
  readonly issueCount?: number;
}

export interface IncomingEvent {
  readonly topic: PublishableTopic;
  readonly eventId: string;
  /** The event exactly as sent; the codec fills defaulted fields when it encodes. */
  readonly event: Readonly<Record<string, unknown>>;
}

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly rejection: Rejection };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** `{ "events": [ ... ] }` with 1 to `maxEvents` entries; answers the entries unchecked. */
export function checkEnvelope(body: unknown, maxEvents: number): Checked<readonly unknown[]> {
  const invalid = (issues: Issue[]): Checked<readonly unknown[]> => ({
    ok: false,
    rejection: { status: 400, error: 'invalid_body', message: `the body must be {"events": [...]}: ${issues.map((i) => `${i.path || 'body'} ${i.reason}`).join('; ')}`, issues },
  });
  if (!isObject(body)) return invalid([{ path: '', reason: `expected a JSON object, got ${kindOf(body)}` }]);
  const issues: Issue[] = Object.keys(body)
    .filter((k) => k !== 'events')
    .map((k) => ({ path: k, reason: 'unknown field' }));
  const events = body.events;
  if (events === undefined) issues.unshift({ path: 'events', reason: 'missing required field (an array of events)' });
  else if (!Array.isArray(events)) issues.unshift({ path: 'events', reason: `expected an array, got ${kindOf(events)}` });
  else if (events.length === 0) issues.unshift({ path: 'events', reason: 'is empty: send at least one event' });
  if (issues.length > 0) return invalid(issues);
  const list = events as unknown[];
  if (list.length > maxEvents) {
    return {
      ok: false,
      rejection: { status: 413, error: 'too_many_events', message: `${list.length} events in one request; at most ${maxEvents} are accepted: split the batch` },
    };
  }
  return { ok: true, value: list };
}

export interface EventCheckContext {
  /** Who sent the request (from the API key); for a terminal key the path's store_id already equals principal.storeId. */
  readonly principal: Principal;
  /** The store of the path, when the key is not bound to one (back office). */
  readonly pathStoreId?: string;
  readonly masterData: MasterDataView;
  readonly nowMs: number;
}

/**
 * Checks every event and lists every problem: envelope fields, contract, identity and master
 * data. Events naming another store or terminal than the key's make the request 403 (listing
 * all problems); any other problem makes it 400.
 */
export function checkEvents(items: readonly unknown[], ctx: EventCheckContext): Checked<readonly IncomingEvent[]> {
  const issues: Issue[] = [];
  let issueCount = 0;
  let forbidden = 0;
  const add = (path: string, reason: string): void => {
    issueCount++;
    if (issues.length < MAX_LISTED_ISSUES) issues.push({ path, reason });
  };
  const firstIndexOf = new Map<string, number>();
  const accepted: IncomingEvent[] = [];
  const badEvents = new Set<number>();

  items.forEach((item, i) => {
    const at = `events[${i}]`;
    const before = issueCount;
    if (!isObject(item)) return void add(at, `expected an object {"type": ..., "event": {...}}, got ${kindOf(item)}`);
    for (const k of Object.keys(item)) if (k !== 'type' && k !== 'event') add(`${at}.${k}`, 'unknown field');

    const type = item.type;
    const allowed = TOPICS_OF_SCOPE[ctx.principal.scope];
    const expected = [...allowed].join(', ');
    let topic: PublishableTopic | undefined;
    if (typeof type !== 'string') add(`${at}.type`, type === undefined ? `missing required field (one of ${expected})` : `expected a string, got ${kindOf(type)}`);
    else if (!allowed.has(type)) {
      add(`${at}.type`, `${JSON.stringify(type)} is not a topic ${ctx.principal.scope === 'terminal' ? 'terminals' : 'back-office systems'} publish to; expected one of ${expected}`);
    } else topic = type as PublishableTopic;

    const event = item.event;
    if (!isObject(event)) {
      add(`${at}.event`, event === undefined ? 'missing required field (the event object)' : `expected an object, got ${kindOf(event)}`);
    } else if (topic) {
      for (const issue of contractIssues(topic, event, ctx.nowMs)) add(issue.path ? `${at}.event.${issue.path}` : `${at}.event`, issue.reason);
      // Identity and master data are checked on whatever fields are well typed, even when
      // other fields are not, so one response lists every problem.
      const storeId = event.store_id;
      const pathStore = ctx.pathStoreId ?? ctx.principal.storeId;
      if (typeof storeId === 'string' && storeId !== pathStore) {
        forbidden++;
        add(
          `${at}.event.store_id`,
          ctx.principal.scope === 'terminal' ? `${JSON.stringify(storeId)} is not the store of this API key (${ctx.principal.storeId})` : `${JSON.stringify(storeId)} is not the store of the path (${pathStore})`,
        );
      }
      // Prices and promotions are for a store that exists; a store record is how one comes to.
      if ((topic === 'pricing.prices' || topic === 'pricing.promotions') && typeof storeId === 'string' && storeId === pathStore && !ctx.masterData.hasStore(storeId)) {
        add(`${at}.event.store_id`, `unknown store ${JSON.stringify(storeId)}: not in the store master data (md.stores): publish the store first`);
      }
      const terminalId = event.terminal_id;
      if (HAS_TERMINAL.has(topic) && typeof terminalId === 'string' && terminalId !== ctx.principal.terminalId) {
        forbidden++;
        add(`${at}.event.terminal_id`, `${JSON.stringify(terminalId)} is not the terminal of this API key (${ctx.principal.terminalId})`);
      }
      checkSkus(topic, event, `${at}.event`, ctx.masterData, add);
      const eventId = MASTER_DATA_ID[topic]?.(event) ?? event.event_id;
      if (typeof eventId === 'string') {
        const first = firstIndexOf.get(eventId);
        if (first === undefined) firstIndexOf.set(eventId, i);
        else add(`${at}.event.event_id`, `repeats the event_id of events[${first}]: every event needs its own`);
      }
    }
    if (issueCount > before) badEvents.add(i);
    else if (topic && isObject(event)) accepted.push({ topic, eventId: MASTER_DATA_ID[topic]?.(event) ?? (event.event_id as string), event });
  });

  if (issueCount === 0) return { ok: true, value: accepted };
  const summary = `${issueCount} problem${issueCount === 1 ? '' : 's'} in ${badEvents.size} of ${items.length} event${items.length === 1 ? '' : 's'}`;
  const listed = issueCount > issues.length ? ` (the first ${issues.length} are listed)` : '';
  return {
    ok: false,
    rejection:
      forbidden > 0
        ? {
            status: 403,
            error: 'forbidden_events',
            message: `events name another store or terminal than the API key's (${ctx.principal.storeId}/${ctx.principal.terminalId}); ${summary}${listed}; nothing was accepted`,
            issues,
            ...(issueCount > issues.length ? { issueCount } : {}),
          }
        : {
            status: 400,
            error: 'invalid_events',
            message: `${summary}${listed}; nothing was accepted: ${issues
              .slice(0, 3)
              .map((i) => `${i.path} ${i.reason}`)
              .join('; ')}${issues.length > 3 ? '; ...' : ''}`,
            issues,
            ...(issueCount > issues.length ? { issueCount } : {}),
          },
  };
}

function checkSkus(topic: PublishableTopic, event: Record<string, unknown>, at: string, masterData: MasterDataView, add: (path: string, reason: string) => void): void {
  const check = (sku: unknown, path: string): void => {
    if (typeof sku === 'string' && !masterData.hasSku(sku)) add(path, `unknown sku ${JSON.stringify(sku)}: not in the product master data (md.products)`);
  };
  if (topic === 'pos.sales' || topic === 'pos.returns') {
    const lines = event.lines;
    if (Array.isArray(lines)) lines.forEach((line, j) => isObject(line) && check(line.sku, `${at}.lines[${j}].sku`));
  } else if (topic === 'inventory.movements' || topic === 'inventory.counts' || topic === 'inventory.orders' || topic === 'pricing.prices') {
    check(event.sku, `${at}.sku`);
  } else if (topic === 'pricing.promotions') {
    const skus = event.skus;
    if (Array.isArray(skus)) skus.forEach((sku, j) => check(sku, `${at}.skus[${j}]`));
  }
}

/** The path's store must exist in the store master data. */
export function checkStore(storeId: string, masterData: MasterDataView): Rejection | undefined {
  if (masterData.hasStore(storeId)) return undefined;
  return { status: 404, error: 'unknown_store', message: `store ${JSON.stringify(storeId)} is not in the store master data (md.stores): publish the store first` };
}
