/**
 * A subscription: where to send which alerts, how to group them and in what format. This file
 * holds its shape and the validation of what a user asks for (CLI flags or the HTTP API's JSON),
 * with an error that names the field and what is wrong; sealing the credentials and storing the
 * record are subscription-store.ts's job.
 *
 * Defaults follow Alertmanager's (group_wait 30 s, group_interval 5 min, repeat_interval 4 h).
 * `event_types` takes exact types (`stockout_risk.raised`), a kind for all its transitions
 * (`out_of_stock`) or `anomaly` for every anomaly kind; a `<kind>.resolved` without its
 * `<kind>.raised` is refused, because a resolved message for a firing nobody was told about is
 * one of the orphans this service promises not to send.
 *
 * What a group is: one store's alerts, split further by the other `group_by` fields. A
 * non-empty `group_by` must name store_id. Alerts are keyed by store_id, so every alert of one
 * store reaches the same partition and so the same delivery task, whichever instance owns it:
 * a group's state (its wait, interval, repeat and what is pending) then exists once in the whole
 * service, and a group sends one message per interval however many instances run. A group
 * across stores (by region, by kind alone) would be split over partitions, each sending its own
 * message for it, so it is refused rather than half kept. `group_by: []` sends each alert alone.
 */
import { z } from 'zod';
import { ShelfStreamError } from '../../lib/errors';
import { PAYLOAD_FORMATS } from './body';
import { ALERT_EVENT_TYPES, ALERT_KINDS, ANOMALY_KINDS, SEVERITIES, isAlertEventType, isAlertKind, type AlertEventType, type AlertKind } from './event-types';

export const GROUP_BY_FIELDS = ['store_id', 'region', 'sku', 'category', 'kind'] as const;
export type GroupByField = (typeof GROUP_BY_FIELDS)[number];

export const SUBSCRIPTION_DEFAULTS = {
  groupWaitMs: 30_000, // 30 s: the first alerts of a new group wait this long for company
  groupIntervalMs: 300_000, // 5 min between two messages of one group
  repeatIntervalMs: 14_400_000, // 4 h before a still-firing group is sent again
  ratePerMinute: 60, // messages per endpoint per minute before the overflow is summarised
} as const;

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM');
const ids = z.array(z.string().trim().min(1)).default([]);

export const subscriptionRequestSchema = z
  .object({
    url: z.string().trim().min(1, 'is required'),
    description: z.string().max(200).default(''),
    event_types: z.array(z.string().trim()).min(1, 'needs at least one event type'),
    filters: z
      .object({
        stores: ids,
        regions: ids,
        skus: ids,
        categories: ids,
        min_severity: z.enum(SEVERITIES).default('info'),
        /** Stock-out risk only: the lowest probability (0-1) worth a message. */
        min_risk: z.number().min(0).max(1).default(0),
      })
      .strict()
      .default({ stores: [], regions: [], skus: [], categories: [], min_severity: 'info', min_risk: 0 }),
    group_by: z.array(z.enum(GROUP_BY_FIELDS)).default(['store_id']),
    group_wait_ms: z.number().int().min(0).max(3_600_000).default(SUBSCRIPTION_DEFAULTS.groupWaitMs),
    group_interval_ms: z.number().int().min(1_000).max(86_400_000).default(SUBSCRIPTION_DEFAULTS.groupIntervalMs),
    repeat_interval_ms: z.number().int().min(60_000).max(7 * 86_400_000).default(SUBSCRIPTION_DEFAULTS.repeatIntervalMs),
    format: z.enum(PAYLOAD_FORMATS).default('standard'),
    /** One message per store at this store-local time listing what is open, instead of alerts one by one. */
    digest: z.object({ local_time: timeOfDay }).strict().nullable().default(null),
    /** Store-local hours during which nothing is sent; what falls in them goes out when they end. */
    quiet_hours: z.object({ start: timeOfDay, end: timeOfDay }).strict().nullable().default(null),
    rate_cap_per_minute: z.number().int().min(1).max(100_000).default(SUBSCRIPTION_DEFAULTS.ratePerMinute),
  })
  .strict();

export type SubscriptionRequest = z.input<typeof subscriptionRequestSchema>;

export interface SubscriptionFilters {
  readonly stores: readonly string[];
  readonly regions: readonly string[];
  readonly skus: readonly string[];
  readonly categories: readonly string[];
  readonly min_severity: (typeof SEVERITIES)[number];
  readonly min_risk: number;
}

/** A validated request: the settings the delivery engine applies. */
export interface SubscriptionSettings {
  readonly description: string;
  readonly event_types: readonly AlertEventType[];
  readonly filters: SubscriptionFilters;
  readonly group_by: readonly GroupByField[];
  readonly group_wait_ms: number;
  readonly group_interval_ms: number;
  readonly repeat_interval_ms: number;
  readonly format: (typeof PAYLOAD_FORMATS)[number];
  readonly digest: { readonly local_time: string } | null;
  readonly quiet_hours: { readonly start: string; readonly end: string } | null;
  readonly rate_cap_per_minute: number;
}

/** A muted store, sku or kind (any combination) for a period. */
export interface Silence {
  readonly silence_id: string;
  readonly store_id: string | null;
  readonly sku: string | null;
  readonly kind: AlertKind | null;
  readonly starts_at: number;
  readonly ends_at: number;
  readonly comment: string;
}

export type SubscriptionState = 'active' | 'paused' | 'disabled';

/** A signing secret, sealed; `expires_at` is set on the old one during a rotation. */
export interface SealedSecret {
  readonly sealed: string;
  readonly created_at: number;
  readonly expires_at: number | null;
}

/** The record kept in the subscriptions topic (JSON), credentials sealed. */
export interface SubscriptionRecord {
  readonly subscription_id: string;
  readonly settings: SubscriptionSettings;
  readonly url_sealed: string;
  readonly url_redacted: string;
  readonly secrets: readonly SealedSecret[];
  readonly state: SubscriptionState;
  /** Why it is paused or disabled (a 410 answer, an operator's pause, days of failures). */
  readonly state_reason: string;
  readonly silences: readonly Silence[];
  readonly created_at: number;
  readonly updated_at: number;
}

/** What the platform knows exists, to refuse a filter that could never match. */
export interface KnownValues {
  readonly stores: ReadonlySet<string>;
  readonly regions: ReadonlySet<string>;
  readonly skus: ReadonlySet<string>;
  readonly categories: ReadonlySet<string>;
}

function invalid(message: string, field: string): ShelfStreamError {
  return new ShelfStreamError('INVALID_ARGUMENT', `bad subscription: ${field} ${message}`, { context: { field } });
}

/** Expands kinds and `anomaly` into exact event types and checks each. */
export function expandEventTypes(requested: readonly string[]): AlertEventType[] {
  const out = new Set<AlertEventType>();
  for (const raw of requested) {
    const name = raw.toLowerCase();
    if (isAlertEventType(name)) out.add(name);
    else if (isAlertKind(name)) for (const t of ['raised', 'updated', 'resolved'] as const) out.add(`${name}.${t}`);
    else if (name === 'anomaly') for (const kind of ANOMALY_KINDS) for (const t of ['raised', 'updated', 'resolved'] as const) out.add(`${kind}.${t}`);
    else throw invalid(`has an unknown event type "${raw}": use one of ${ALERT_KINDS.join(', ')}, anomaly, or <kind>.raised|updated|resolved`, 'event_types');
  }
  for (const kind of ALERT_KINDS) {
    if (out.has(`${kind}.resolved`) && !out.has(`${kind}.raised`)) {
      throw invalid(`asks for ${kind}.resolved without ${kind}.raised: a resolved is sent only for a firing that was delivered`, 'event_types');
    }
    // An escalation is the same situation: whoever hears it raised hears it rise.
    if (out.has(`${kind}.raised`)) out.add(`${kind}.updated`);
  }
  return ALERT_EVENT_TYPES.filter((t) => out.has(t));
}

/**
 * Validates a request into settings. `known`, when given (master data loaded), refuses a filter
 * none of whose values exist: a subscription that can never match is a typo, not a wish.
 */
export function parseSubscriptionRequest(input: unknown, known?: KnownValues): { url: string; settings: SubscriptionSettings } {
  const parsed = subscriptionRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(issue.message, issue.path.join('.') || 'request');
  }
  const r = parsed.data;
  const event_types = expandEventTypes(r.event_types);
  if (known) {
    const filterSets: [keyof KnownValues, readonly string[]][] = [
      ['stores', r.filters.stores],
      ['regions', r.filters.regions],
      ['skus', r.filters.skus],
      ['categories', r.filters.categories],
    ];
    for (const [name, values] of filterSets) {
      const unknown = values.filter((v) => !known[name].has(v));
      if (values.length > 0 && unknown.length === values.length) {
        throw invalid(`matches nothing: no known ${name} among ${values.join(', ')}`, `filters.${name}`);
      }
    }
  }
  if (r.filters.min_risk > 0 && !event_types.some((t) => t.startsWith('stockout_risk.'))) {
    throw invalid('applies to stock-out risk only, and the subscription asks for no stockout_risk event type', 'filters.min_risk');
  }
  if (r.group_by.length > 0 && !r.group_by.includes('store_id')) {
    throw invalid(
      `must include store_id (as in ${JSON.stringify(['store_id', ...r.group_by])}): a group is one store's alerts, since alerts are partitioned by store and a group across stores would be sent once per partition; use [] to send each alert alone`,
      'group_by',
    );
  }
  if (r.quiet_hours && r.quiet_hours.start === r.quiet_hours.end) throw invalid('start and end are equal: that would be quiet all day or never', 'quiet_hours');
  return {
    url: r.url,
    settings: {
      description: r.description,
      event_types,
      filters: r.filters,
      group_by: [...new Set(r.group_by)],
      group_wait_ms: r.group_wait_ms,
      group_interval_ms: r.group_interval_ms,
      repeat_interval_ms: r.repeat_interval_ms,
      format: r.format,
      digest: r.digest,
      quiet_hours: r.quiet_hours,
      rate_cap_per_minute: r.rate_cap_per_minute,
    },
  };
}
