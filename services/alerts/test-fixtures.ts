/**
 * Alerts for the unit tests of this folder: one place to make an `AlertItem` or a message, so
 * each test states only what it is about.
 */
import type { AlertEventType } from './event-types';
import type { AlertItem, MessageContent } from './payload';

export function alertItem(overrides: Partial<AlertItem> & { event_type?: AlertEventType } = {}): AlertItem {
  const eventType = overrides.event_type ?? 'stockout_risk.raised';
  const resolved = eventType.endsWith('.resolved');
  return {
    alert_id: 'stock:STOCKOUT_RISK:S001:SKU-1:0:10',
    event_type: eventType,
    kind: eventType.split('.')[0] as AlertItem['kind'],
    status: resolved ? 'resolved' : 'firing',
    severity: 'warning',
    score: 0.8,
    store_id: 'S001',
    region: 'north',
    sku: 'SKU-1',
    category: 'dairy',
    terminal_id: null,
    reason: '4 units on hand',
    measures: { on_hand: 4 },
    raised_at: '2026-12-05T08:00:00.000Z',
    resolved_at: resolved ? '2026-12-05T09:00:00.000Z' : null,
    processor: 'stock',
    ...overrides,
  };
}

export function message(alerts: readonly AlertItem[], overrides: Partial<MessageContent> = {}): MessageContent {
  return {
    type: alerts.length === 1 && alerts[0] ? alerts[0].event_type : 'alerts.group',
    createdAt: Date.parse('2026-12-05T08:00:05Z'),
    subscriptionId: 'sub_test',
    groupKey: null,
    groupLabels: {},
    alerts,
    ...overrides,
  };
}
