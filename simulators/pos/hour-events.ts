/**
 * The events of one simulated hour, one list per event topic, and how a store's share of them
 * is put in event-time order (a partition's records must arrive in the order terminals sold).
 */
import type { TopicValues } from '../../schemas/generated/events';

export const EVENT_TOPICS = [
  'pos.sales',
  'pos.returns',
  'pos.voids',
  'inventory.movements',
  'inventory.counts',
  'inventory.orders',
  'pricing.prices',
  'pricing.promotions',
  'pos.heartbeats',
] as const;
export type EventTopic = (typeof EVENT_TOPICS)[number];
export type HourEvents = { [T in EventTopic]: TopicValues[T][] };

export function emptyEvents(): HourEvents {
  return {
    'pos.sales': [],
    'pos.returns': [],
    'pos.voids': [],
    'inventory.movements': [],
    'inventory.counts': [],
    'inventory.orders': [],
    'pricing.prices': [],
    'pricing.promotions': [],
    'pos.heartbeats': [],
  };
}

/** Per topic, the index where one store's events of the current hour begin. */
export type Marks = { [T in EventTopic]: number };

export function markOf(events: HourEvents): Marks {
  const marks = {} as Record<EventTopic, number>;
  for (const topic of EVENT_TOPICS) marks[topic] = events[topic].length;
  return marks;
}

/** Sorts one store's events of the hour by event time where construction left them unsorted. */
export function sortSince(events: HourEvents, marks: Marks): void {
  for (const topic of EVENT_TOPICS) {
    const list = events[topic] as { occurred_at: number }[];
    const from = marks[topic];
    let sorted = true;
    for (let i = from + 1; i < list.length && sorted; i++) if (list[i]!.occurred_at < list[i - 1]!.occurred_at) sorted = false;
    if (!sorted) {
      const tail = list.slice(from).sort((a, b) => a.occurred_at - b.occurred_at);
      for (let i = 0; i < tail.length; i++) list[from + i] = tail[i]!;
    }
  }
}
