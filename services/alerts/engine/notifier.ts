/**
 * One subscription's notification rules, as a state machine driven by alert events and a clock
 * (no I/O, no timers of its own: the runtime calls `due(now)` at `nextWakeAt`). It decides what
 * to send; the delivery queue sends it and reports back with `settled`.
 *
 * - A situation is an alert_id. It is announced once (`raised`), again only when raised with a
 *   higher severity (`updated`), and ended with `resolved`, which is sent only if its firing
 *   was delivered: a resolved that arrives while the firing still waits in its group cancels
 *   both; one that arrives while the firing is being delivered waits for the outcome; one for a
 *   firing that was dead-lettered, filtered, silenced or inhibited is not sent.
 * - Grouping (Alertmanager): changes of one group (the `group_by` values) wait `group_wait`
 *   after the group's first change, then go at most every `group_interval`; a group with
 *   firing alerts and nothing new is sent again after `repeat_interval`. A group never spans
 *   stores (subscription.ts says why): a record written before store_id was required in
 *   `group_by` is grouped by store as well.
 * - Inhibition: an open out-of-stock silences the stock-out risk of the same store x sku; the
 *   risk is announced if it is still open when the out-of-stock ends. Silences work alike.
 * - Quiet hours (store-local): nothing is sent in them; what is due goes when they end.
 * - Rate cap: past `rate_cap_per_minute` messages in a minute, the alerts of further messages
 *   go together in one `alerts.summary` at the end of that minute. The minute's count is the
 *   notifier's own, or a `RateBudget` shared by the notifiers of one subscription in every task
 *   of a process (an ungrouped subscription gets alerts from every partition).
 * - Digest: no message per alert; one `alerts.digest` per store at the store-local time,
 *   listing what is open.
 * - A person's word (ACKNOWLEDGED, SNOOZED: the web app's buttons, on the alerts topic): an
 *   acknowledged situation gets no more repeats (someone is on it), but still its update on a
 *   higher severity and its resolved. A snoozed one is silent until the snooze ends (a firing
 *   not sent yet, repeats and escalations wait), except for its resolved; when the snooze ends, a
 *   situation still open is announced again (the reminder the snooze asked for). The later of the two wins: a snooze
 *   after an acknowledgement asks for a reminder, an acknowledgement during a snooze cancels it.
 * Alerts with no store (store_id empty: a model's drift, to come) skip the store, region, sku
 * and category filters and pass on their kind.
 */
import { createHash } from 'node:crypto';
import type { Alert } from '../../../schemas/generated/events';
import { eventType, kindOf, severityOf, severityRank, type AlertKind, type AlertTransition, type MessageType } from '../event-types';
import { standardPayload, type AlertItem, type MessageContent } from '../payload';
import type { GroupByField, Silence, SubscriptionSettings } from '../subscription';
import { inLocalSpan, localDate, nextLocalTime } from './local-time';

export interface StoreFacts {
  readonly region: string | null;
  readonly time_zone: string;
}

export interface MasterDataLookup {
  store(storeId: string): StoreFacts | undefined;
  category(sku: string): string | null;
}

export interface OutgoingMessage {
  /** The webhook-id: a hash of the subscription and the message content, so one id never carries two bodies. */
  readonly messageId: string;
  readonly subscriptionId: string;
  readonly content: MessageContent;
  /** When the first alert in it was published (for the alert-to-delivered latency). */
  readonly oldestAlertAt: number;
}

/** A notifier's whole state as JSON, for the runtime's state store (restored after a crash). */
export interface NotifierState {
  readonly situations: readonly {
    item: AlertItem;
    groupKey: string;
    open: boolean;
    firing: string;
    told: boolean;
    resolvedWaiting: boolean;
    heldBy: 'inhibited' | number | null;
    /** Absent in states saved before acknowledgements existed: read as not acknowledged, not snoozed. */
    acknowledged?: boolean;
    snoozedUntil?: number | null;
  }[];
  readonly groups: readonly { key: string; labels: Record<string, string>; timeZone: string; pending: AlertItem[]; nextFlushAt: number | null; lastFlushAt: number | null; lastSentAt: number | null }[];
  readonly outOfStock: readonly string[];
  readonly inFlight: readonly [string, string[]][];
  readonly nextDigestAt: readonly [string, number][];
  readonly rate: { windowStart: number; sent: number };
  readonly overflow: { alerts: AlertItem[]; messages: number; windowStart: number; oldest: number } | null;
}

/**
 * Messages a subscription has sent in a minute, shared by the notifiers of that subscription in
 * several tasks, so the cap holds for the endpoint rather than per partition.
 */
export interface RateBudget {
  /** Counts one message of `subscriptionId` in the minute starting at `windowStart` if the cap allows it. */
  take(subscriptionId: string, windowStart: number, cap: number): boolean;
}

/**
 * A budget for the notifiers of one process (the alerts service's tasks). `share` is the part of
 * the alerts topic's partitions this process owns (1 when alone): each instance of a consumer
 * group spends at most that share of the cap, floored, so the instances together stay within
 * the endpoint's cap, whatever their number; at least one message a minute each, so a cap below
 * the number of instances is exceeded by at most the difference. The share is read at every
 * message, so a rebalance takes effect at once; in the minute of a rebalance a partition's new
 * owner may spend what its old owner had spent (the count is not handed over): at most one
 * share more, once.
 */
export function createRateBudget(share: () => number = () => 1): RateBudget {
  const minutes = new Map<string, { windowStart: number; sent: number }>();
  return {
    take(subscriptionId, windowStart, cap) {
      let minute = minutes.get(subscriptionId);
      if (!minute || minute.windowStart !== windowStart) {
        minute = { windowStart, sent: 0 };
        minutes.set(subscriptionId, minute);
      }
      if (minute.sent >= Math.max(1, Math.floor(cap * Math.min(1, share())))) return false;
      minute.sent += 1;
      return true;
    },
  };
}

export const NOTIFIER_DEFAULTS = {
  maxAlertsPerMessage: 500, // keeps a body under ~0.5 MB; a bigger group goes in several messages
  rateWindowMs: 60_000, // the rate cap counts messages per minute
} as const;

type FiringState = 'waiting' | 'sending' | 'delivered' | 'failed' | 'held';

interface Situation {
  item: AlertItem;
  groupKey: string;
  open: boolean;
  firing: FiringState;
  /** Some firing message of it was delivered: from then on it is owed a resolved. */
  told: boolean;
  /** A resolved that arrived while the firing was being sent. */
  resolvedWaiting: boolean;
  /** Why a firing is held back: an open out-of-stock, or a silence or snooze until a time. */
  heldBy: 'inhibited' | number | undefined;
  /** A person acknowledged it: no repeats. */
  acknowledged: boolean;
  /** A person snoozed it until then: nothing but its resolved (or an update) before. */
  snoozedUntil: number | undefined;
}

interface Group {
  readonly key: string;
  readonly labels: Record<string, string>;
  readonly timeZone: string;
  /** Alert changes to send, by alert_id: the newest change wins. */
  readonly pending: Map<string, AlertItem>;
  /** alert_ids of the group's situations, so a repeat does not scan every situation. */
  readonly members: Set<string>;
  nextFlushAt: number | undefined;
  lastFlushAt: number | undefined;
  lastSentAt: number | undefined;
}

const ZERO_FACTS: StoreFacts = { region: null, time_zone: 'UTC' };

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function createNotifier(
  subscription: { id: string; settings: SubscriptionSettings; silences: readonly Silence[] },
  lookup: MasterDataLookup,
  options: { maxAlertsPerMessage?: number; rateBudget?: RateBudget } = {},
) {
  const s = subscription.settings;
  const maxPerMessage = options.maxAlertsPerMessage ?? NOTIFIER_DEFAULTS.maxAlertsPerMessage;
  const wanted = new Set(s.event_types);
  const situations = new Map<string, Situation>();
  const groups = new Map<string, Group>();
  /** store|sku of open out-of-stocks, from every alert (inhibition is not the subscription's filter). */
  const outOfStock = new Set<string>();
  const inFlight = new Map<string, { firing: string[] }>();
  const nextDigestAt = new Map<string, number>();
  /** Groups with changes waiting, so a tick looks at those and not at every group. */
  const flushable = new Set<Group>();
  /** The earliest repeat of any group; every group is looked at only once that time comes. */
  let earliestRepeatAt = Infinity;
  /** Stock-out risk situations by store|sku, for inhibition without scanning every situation. */
  const risks = new Map<string, Set<Situation>>();
  /** Situations held by a silence, to announce when it ends. */
  const held = new Set<Situation>();
  let silences = subscription.silences;
  let rateWindowStart = 0;
  let sentInWindow = 0;
  let overflow: { alerts: Map<string, AlertItem>; messages: number; windowStart: number; oldest: number } | undefined;

  function factsOf(storeId: string): StoreFacts {
    return (storeId && lookup.store(storeId)) || ZERO_FACTS;
  }

  function passesFilters(alert: Alert, facts: StoreFacts, category: string | null): boolean {
    const f = s.filters;
    if (severityRank(severityOf(alert.severity)) < severityRank(f.min_severity)) return false;
    if (alert.alert_type === 'STOCKOUT_RISK' && alert.state === 'RAISED' && alert.score < f.min_risk) return false;
    if (alert.store_id === '') return true;
    if (f.stores.length > 0 && !f.stores.includes(alert.store_id)) return false;
    if (f.regions.length > 0 && (facts.region === null || !f.regions.includes(facts.region))) return false;
    if (f.skus.length > 0 && (alert.sku === null || !f.skus.includes(alert.sku))) return false;
    if (f.categories.length > 0 && (category === null || !f.categories.includes(category))) return false;
    return true;
  }

  function itemOf(alert: Alert, transition: AlertTransition, facts: StoreFacts, category: string | null, raisedAt: number): AlertItem {
    const kind = kindOf(alert.alert_type);
    return {
      alert_id: alert.alert_id,
      event_type: eventType(kind, transition),
      kind,
      status: transition === 'resolved' ? 'resolved' : 'firing',
      severity: severityOf(alert.severity),
      score: alert.score,
      store_id: alert.store_id,
      region: facts.region,
      sku: alert.sku,
      category,
      terminal_id: alert.terminal_id,
      reason: alert.reason,
      measures: alert.measures,
      raised_at: iso(raisedAt),
      resolved_at: transition === 'resolved' ? iso(alert.occurred_at) : null,
      processor: alert.processor,
    };
  }

  /** The group's fields: store_id always among them when grouping, so a group lives in one partition. */
  const groupFields: readonly GroupByField[] = s.group_by.length === 0 || s.group_by.includes('store_id') ? s.group_by : ['store_id', ...s.group_by];

  function groupFor(item: AlertItem, facts: StoreFacts): Group {
    const labels: Record<string, string> = {};
    for (const field of groupFields) {
      const value = field === 'store_id' ? item.store_id : field === 'kind' ? item.kind : field === 'region' ? item.region : field === 'sku' ? item.sku : item.category;
      labels[field] = value ?? '';
    }
    // Ungrouped: every alert is its own group, so each goes in a message of its own.
    const key = s.group_by.length === 0 ? `alert=${item.alert_id}` : Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
    let group = groups.get(key);
    if (!group) {
      const timeZone = facts.time_zone;
      group = { key, labels: s.group_by.length === 0 ? {} : labels, timeZone, pending: new Map(), members: new Set(), nextFlushAt: undefined, lastFlushAt: undefined, lastSentAt: undefined };
      groups.set(key, group);
    }
    return group;
  }

  function enqueue(situation: Situation, item: AlertItem, now: number): void {
    const group = groups.get(situation.groupKey)!;
    group.pending.set(item.alert_id, item);
    flushable.add(group);
    if (group.nextFlushAt === undefined) {
      group.nextFlushAt = group.lastFlushAt === undefined ? now + s.group_wait_ms : Math.max(now, group.lastFlushAt + s.group_interval_ms);
    }
  }

  function heldBy(situation: Situation, now: number): Situation['heldBy'] {
    const { item } = situation;
    if (item.kind === 'stockout_risk' && item.sku !== null && outOfStock.has(`${item.store_id}|${item.sku}`)) return 'inhibited';
    const silence = silences.find(
      (x) => x.starts_at <= now && now < x.ends_at && (x.store_id === null || x.store_id === item.store_id) && (x.sku === null || x.sku === item.sku) && (x.kind === null || x.kind === item.kind),
    );
    if (situation.snoozedUntil !== undefined && situation.snoozedUntil > now) return Math.max(situation.snoozedUntil, silence?.ends_at ?? 0);
    return silence?.ends_at;
  }

  function announce(situation: Situation, now: number): void {
    situation.heldBy = heldBy(situation, now);
    if (typeof situation.heldBy === 'number') held.add(situation);
    else held.delete(situation);
    if (situation.heldBy !== undefined) {
      situation.firing = 'held';
      return;
    }
    situation.firing = 'waiting';
    if (!s.digest) enqueue(situation, situation.item, now);
  }

  function trackInhibitors(alert: Alert, now: number): void {
    if (alert.alert_type !== 'OUT_OF_STOCK' || alert.sku === null) return;
    const key = `${alert.store_id}|${alert.sku}`;
    if (alert.state === 'RAISED') {
      outOfStock.add(key);
      // A risk still waiting in its group is now said better by the out-of-stock.
      for (const situation of risks.get(key) ?? []) {
        if (situation.open && situation.firing === 'waiting') {
          groups.get(situation.groupKey)?.pending.delete(situation.item.alert_id);
          situation.firing = 'held';
          situation.heldBy = 'inhibited';
        }
      }
    } else if (outOfStock.delete(key)) {
      for (const situation of risks.get(key) ?? []) {
        if (situation.open && situation.heldBy === 'inhibited') announce(situation, now);
      }
    }
  }

  /** A person's acknowledgement or snooze of a situation this subscription follows. */
  function actOn(situation: Situation, alert: Alert, now: number): void {
    if (!situation.open) return;
    if (alert.state === 'ACKNOWLEDGED') {
      situation.acknowledged = true;
      situation.snoozedUntil = undefined;
      if (situation.firing !== 'held' || typeof situation.heldBy !== 'number') return;
      // The acknowledgement ends the snooze: a told situation needs no reminder; one never told
      // is announced now (unless a silence still holds it).
      if (situation.told) {
        situation.firing = 'delivered';
        situation.heldBy = undefined;
        held.delete(situation);
      } else {
        announce(situation, now);
      }
      return;
    }
    const until = alert.snoozed_until ?? now;
    situation.acknowledged = false;
    situation.snoozedUntil = until > now ? until : undefined;
    if (situation.snoozedUntil === undefined) return;
    if (situation.firing === 'waiting') {
      // Not sent yet: it waits for the end of the snooze.
      groups.get(situation.groupKey)?.pending.delete(situation.item.alert_id);
      situation.firing = 'held';
    }
    if (situation.firing === 'held' || situation.firing === 'delivered') {
      // Delivered and still open at the end of the snooze: announced again then (the reminder).
      situation.firing = 'held';
      situation.heldBy = heldBy(situation, now);
      held.add(situation);
    }
  }

  /** Applies one alert event from the topic. */
  function offer(alert: Alert, now: number): void {
    if (alert.state === 'ACKNOWLEDGED' || alert.state === 'SNOOZED') {
      const known = situations.get(alert.alert_id);
      if (known) actOn(known, alert, now);
      return;
    }
    trackInhibitors(alert, now);
    const kind: AlertKind = kindOf(alert.alert_type);
    const known = situations.get(alert.alert_id);
    const facts = factsOf(alert.store_id);
    const category = alert.sku === null ? null : lookup.category(alert.sku);
    if (alert.state === 'RAISED') {
      if (!wanted.has(eventType(kind, 'raised')) || !passesFilters(alert, facts, category)) return;
      if (!known) {
        const item = itemOf(alert, 'raised', facts, category, alert.occurred_at);
        const situation: Situation = { item, groupKey: groupFor(item, facts).key, open: true, firing: 'waiting', told: false, resolvedWaiting: false, heldBy: undefined, acknowledged: false, snoozedUntil: undefined };
        situations.set(alert.alert_id, situation);
        groups.get(situation.groupKey)!.members.add(alert.alert_id);
        if (kind === 'stockout_risk' && alert.sku !== null) {
          const key = `${alert.store_id}|${alert.sku}`;
          risks.set(key, (risks.get(key) ?? new Set()).add(situation));
        }
        announce(situation, now);
        return;
      }
      if (!known.open || severityRank(severityOf(alert.severity)) <= severityRank(known.item.severity)) return; // a repeat: at least once upstream
      const raisedAt = Date.parse(known.item.raised_at);
      if (known.firing === 'waiting') {
        // Not sent yet: the first message already says the higher severity.
        known.item = itemOf(alert, 'raised', facts, category, raisedAt);
        if (!s.digest) groups.get(known.groupKey)!.pending.set(alert.alert_id, known.item);
        return;
      }
      known.item = itemOf(alert, known.firing === 'delivered' || known.firing === 'sending' ? 'updated' : 'raised', facts, category, raisedAt);
      if (known.firing === 'held' || known.firing === 'failed') return announce(known, now);
      known.firing = 'waiting';
      if (!s.digest) enqueue(known, known.item, now);
      return;
    }
    // RESOLVED
    if (!known || !known.open) return;
    known.open = false;
    const resolved = itemOf(alert, 'resolved', facts, category, Date.parse(known.item.raised_at));
    known.item = resolved;
    const sendResolved = (): void => {
      if (!s.digest && wanted.has(eventType(kind, 'resolved'))) enqueue(known, resolved, now);
      else forget(alert.alert_id);
    };
    switch (known.firing) {
      case 'sending':
        known.resolvedWaiting = true;
        return;
      case 'waiting':
        groups.get(known.groupKey)?.pending.delete(alert.alert_id);
        return known.told ? sendResolved() : void forget(alert.alert_id);
      case 'delivered':
        return sendResolved();
      default:
        return known.told ? sendResolved() : void forget(alert.alert_id);
    }
  }

  function forget(alertId: string): void {
    const situation = situations.get(alertId);
    if (!situation) return;
    situations.delete(alertId);
    held.delete(situation);
    groups.get(situation.groupKey)?.members.delete(alertId);
    const riskKey = `${situation.item.store_id}|${situation.item.sku}`;
    risks.get(riskKey)?.delete(situation);
    if (risks.get(riskKey)?.size === 0) risks.delete(riskKey);
  }

  function messageId(content: MessageContent): string {
    return `msg_${createHash('sha256').update(subscription.id).update('\n').update(JSON.stringify(standardPayload(content))).digest('hex').slice(0, 32)}`;
  }

  function build(type: MessageType | undefined, alerts: AlertItem[], now: number, group: { key: string | null; labels: Record<string, string> }, extra: Partial<MessageContent> = {}): OutgoingMessage {
    const single = alerts.length === 1 && alerts[0] && (s.group_by.length === 0 || alerts.length === 1);
    const content: MessageContent = {
      type: type ?? (single ? alerts[0]!.event_type : 'alerts.group'),
      createdAt: now,
      subscriptionId: subscription.id,
      groupKey: s.group_by.length === 0 ? null : group.key,
      groupLabels: group.labels,
      alerts,
      ...extra,
    };
    const oldest = Math.min(...alerts.map((a) => Date.parse(a.resolved_at ?? a.raised_at)), now);
    return { messageId: messageId(content), subscriptionId: subscription.id, content, oldestAlertAt: oldest };
  }

  function markSending(message: OutgoingMessage): void {
    const firing: string[] = [];
    for (const a of message.content.alerts) {
      const situation = situations.get(a.alert_id);
      if (!situation) continue;
      if (a.status === 'firing') {
        situation.firing = 'sending';
        firing.push(a.alert_id);
      } else {
        forget(a.alert_id);
      }
    }
    inFlight.set(message.messageId, { firing });
  }

  /** Applies the rate cap: within the minute's budget the message goes, beyond it its alerts wait for the summary. */
  function capped(message: OutgoingMessage, now: number, out: OutgoingMessage[]): void {
    const windowStart = Math.floor(now / NOTIFIER_DEFAULTS.rateWindowMs) * NOTIFIER_DEFAULTS.rateWindowMs;
    if (windowStart !== rateWindowStart) {
      rateWindowStart = windowStart;
      sentInWindow = 0;
    }
    const allowed = options.rateBudget ? options.rateBudget.take(subscription.id, windowStart, s.rate_cap_per_minute) : sentInWindow < s.rate_cap_per_minute;
    if (allowed) {
      sentInWindow += 1;
      markSending(message);
      out.push(message);
      return;
    }
    overflow ??= { alerts: new Map(), messages: 0, windowStart, oldest: message.oldestAlertAt };
    overflow.messages += 1;
    overflow.oldest = Math.min(overflow.oldest, message.oldestAlertAt);
    for (const a of message.content.alerts) overflow.alerts.set(a.alert_id, a);
  }

  function flushOverflow(now: number, out: OutgoingMessage[]): void {
    if (!overflow || now < overflow.windowStart + NOTIFIER_DEFAULTS.rateWindowMs) return;
    const alerts = [...overflow.alerts.values()];
    const byKind: Partial<Record<AlertKind, number>> = {};
    for (const a of alerts) byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
    const summary = { suppressed_messages: overflow.messages, by_kind: byKind, window_start: iso(overflow.windowStart), window_end: iso(overflow.windowStart + NOTIFIER_DEFAULTS.rateWindowMs) };
    const message = build('alerts.summary', alerts, now, { key: null, labels: {} }, { summary });
    overflow = undefined;
    // The summary is the one message past the cap: it is not capped itself.
    markSending(message);
    out.push(message);
  }

  function releaseExpiredSilences(now: number): void {
    for (const situation of [...held]) {
      if (!situation.open) held.delete(situation);
      else if (typeof situation.heldBy === 'number' && situation.heldBy <= now) announce(situation, now);
    }
  }

  function flushGroup(group: Group, now: number, out: OutgoingMessage[]): void {
    const dueForChanges = group.nextFlushAt !== undefined && group.nextFlushAt <= now && group.pending.size > 0;
    const repeatTime = !dueForChanges && group.pending.size === 0 && group.lastSentAt !== undefined && now >= group.lastSentAt + s.repeat_interval_ms;
    const firing = repeatTime ? [...group.members].map((id) => situations.get(id)!).filter((x) => x.open && x.firing === 'delivered' && !x.acknowledged && !(x.snoozedUntil !== undefined && x.snoozedUntil > now)) : [];
    if (!dueForChanges && firing.length === 0) {
      // Its time to repeat came with nothing to repeat (acknowledged, snoozed, held): the next look is one interval on.
      if (repeatTime) group.lastSentAt = now;
      if (group.pending.size === 0) {
        group.nextFlushAt = undefined;
        flushable.delete(group);
      }
      return;
    }
    if (s.quiet_hours && inLocalSpan(now, group.timeZone, s.quiet_hours.start, s.quiet_hours.end)) {
      group.nextFlushAt = nextLocalTime(now, group.timeZone, s.quiet_hours.end);
      flushable.add(group);
      return;
    }
    const alerts = dueForChanges ? [...group.pending.values()] : firing.map((x) => x.item);
    group.pending.clear();
    group.nextFlushAt = undefined;
    flushable.delete(group);
    group.lastFlushAt = now;
    group.lastSentAt = now;
    earliestRepeatAt = Math.min(earliestRepeatAt, now + s.repeat_interval_ms);
    for (let i = 0; i < alerts.length; i += maxPerMessage) capped(build(undefined, alerts.slice(i, i + maxPerMessage), now, group), now, out);
    if (s.group_by.length === 0 && group.members.size === 0) groups.delete(group.key);
  }

  function flushGroups(now: number, out: OutgoingMessage[]): void {
    for (const group of [...flushable]) if (group.nextFlushAt !== undefined && group.nextFlushAt <= now) flushGroup(group, now, out);
    if (now < earliestRepeatAt) return;
    earliestRepeatAt = Infinity;
    for (const group of groups.values()) {
      if (group.lastSentAt === undefined || group.members.size === 0) continue;
      if (now >= group.lastSentAt + s.repeat_interval_ms) flushGroup(group, now, out);
      if (group.lastSentAt !== undefined && group.members.size > 0) earliestRepeatAt = Math.min(earliestRepeatAt, group.lastSentAt + s.repeat_interval_ms);
    }
  }

  function flushDigests(now: number, out: OutgoingMessage[]): void {
    const digest = s.digest;
    if (!digest) return;
    const byStore = new Map<string, Situation[]>();
    for (const situation of situations.values()) {
      if (!situation.open || situation.firing === 'held') continue;
      const list = byStore.get(situation.item.store_id) ?? [];
      list.push(situation);
      byStore.set(situation.item.store_id, list);
      if (!nextDigestAt.has(situation.item.store_id)) nextDigestAt.set(situation.item.store_id, nextLocalTime(now, factsOf(situation.item.store_id).time_zone, digest.local_time));
    }
    for (const [storeId, at] of nextDigestAt) {
      if (at > now) continue;
      const timeZone = factsOf(storeId).time_zone;
      nextDigestAt.set(storeId, nextLocalTime(now, timeZone, digest.local_time));
      const open = byStore.get(storeId) ?? [];
      if (open.length === 0) continue;
      const sections = { store_id: storeId, local_date: localDate(now, timeZone), local_time: digest.local_time, time_zone: timeZone };
      for (let i = 0; i < open.length; i += maxPerMessage) {
        const message = build('alerts.digest', open.slice(i, i + maxPerMessage).map((x) => x.item), now, { key: `store_id=${storeId}`, labels: { store_id: storeId } }, { digest: sections });
        // A digest lists what is open; it changes no situation's state.
        out.push(message);
      }
    }
  }

  return {
    offer,
    /** Messages due at `now`, in order; each must be reported back with `settled`. */
    due(now: number): OutgoingMessage[] {
      const out: OutgoingMessage[] = [];
      releaseExpiredSilences(now);
      flushOverflow(now, out);
      flushGroups(now, out);
      flushDigests(now, out);
      return out;
    },
    /** When `due` next has something to do (undefined: only a new alert can change that). */
    nextWakeAt(): number | undefined {
      const times: number[] = [];
      for (const g of flushable) if (g.nextFlushAt !== undefined) times.push(g.nextFlushAt);
      if (earliestRepeatAt !== Infinity) times.push(earliestRepeatAt);
      for (const x of held) if (typeof x.heldBy === 'number') times.push(x.heldBy);
      if (overflow) times.push(overflow.windowStart + NOTIFIER_DEFAULTS.rateWindowMs);
      for (const at of nextDigestAt.values()) times.push(at);
      return times.length === 0 ? undefined : Math.min(...times);
    },
    /** The outcome of a message: delivered, or dead-lettered (its firings count as never told). */
    settled(messageId: string, delivered: boolean, now: number): void {
      const flight = inFlight.get(messageId);
      if (!flight) return;
      inFlight.delete(messageId);
      for (const id of flight.firing) {
        const situation = situations.get(id);
        if (!situation || situation.firing !== 'sending') continue;
        situation.firing = delivered ? 'delivered' : 'failed';
        situation.told ||= delivered;
        if (!situation.resolvedWaiting) continue;
        situation.resolvedWaiting = false;
        if (situation.told && !s.digest && wanted.has(eventType(situation.item.kind, 'resolved'))) enqueue(situation, situation.item, now);
        else forget(id);
      }
    },
    exportState(): NotifierState {
      const orNull = (v: number | undefined): number | null => (v === undefined ? null : v);
      return {
        situations: [...situations.values()].map((x) => ({
          item: x.item,
          groupKey: x.groupKey,
          open: x.open,
          firing: x.firing,
          told: x.told,
          resolvedWaiting: x.resolvedWaiting,
          heldBy: x.heldBy ?? null,
          acknowledged: x.acknowledged,
          snoozedUntil: x.snoozedUntil ?? null,
        })),
        groups: [...groups.values()].map((g) => ({ key: g.key, labels: g.labels, timeZone: g.timeZone, pending: [...g.pending.values()], nextFlushAt: orNull(g.nextFlushAt), lastFlushAt: orNull(g.lastFlushAt), lastSentAt: orNull(g.lastSentAt) })),
        outOfStock: [...outOfStock],
        inFlight: [...inFlight].map(([id, f]) => [id, f.firing]),
        nextDigestAt: [...nextDigestAt],
        rate: { windowStart: rateWindowStart, sent: sentInWindow },
        overflow: overflow ? { ...overflow, alerts: [...overflow.alerts.values()] } : null,
      };
    },
    /** Replaces the state with one exported earlier (the notifier must be new). */
    importState(state: NotifierState): void {
      const orUndefined = (v: number | null): number | undefined => (v === null ? undefined : v);
      for (const g of state.groups) {
        const group: Group = { key: g.key, labels: g.labels, timeZone: g.timeZone, pending: new Map(g.pending.map((a) => [a.alert_id, a])), members: new Set(), nextFlushAt: orUndefined(g.nextFlushAt), lastFlushAt: orUndefined(g.lastFlushAt), lastSentAt: orUndefined(g.lastSentAt) };
        groups.set(g.key, group);
        if (group.nextFlushAt !== undefined) flushable.add(group);
      }
      for (const x of state.situations) {
        const situation: Situation = {
          item: x.item,
          groupKey: x.groupKey,
          open: x.open,
          firing: x.firing as FiringState,
          told: x.told,
          resolvedWaiting: x.resolvedWaiting,
          heldBy: x.heldBy ?? undefined,
          acknowledged: x.acknowledged ?? false,
          snoozedUntil: x.snoozedUntil ?? undefined,
        };
        situations.set(x.item.alert_id, situation);
        groups.get(x.groupKey)?.members.add(x.item.alert_id);
        if (typeof situation.heldBy === 'number') held.add(situation);
        if (x.item.kind === 'stockout_risk' && x.item.sku !== null) {
          const key = `${x.item.store_id}|${x.item.sku}`;
          risks.set(key, (risks.get(key) ?? new Set()).add(situation));
        }
      }
      for (const g of groups.values()) if (g.lastSentAt !== undefined && g.members.size > 0) earliestRepeatAt = Math.min(earliestRepeatAt, g.lastSentAt + s.repeat_interval_ms);
      for (const key of state.outOfStock) outOfStock.add(key);
      for (const [id, firing] of state.inFlight) inFlight.set(id, { firing });
      for (const [store, at] of state.nextDigestAt) nextDigestAt.set(store, at);
      rateWindowStart = state.rate.windowStart;
      sentInWindow = state.rate.sent;
      overflow = state.overflow ? { ...state.overflow, alerts: new Map(state.overflow.alerts.map((a) => [a.alert_id, a])) } : undefined;
    },
    setSilences(next: readonly Silence[]): void {
      silences = next;
    },
    /** Open situations and groups, for metrics and tests. */
    stats(): { situations: number; groups: number; inFlight: number } {
      return { situations: situations.size, groups: groups.size, inFlight: inFlight.size };
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
