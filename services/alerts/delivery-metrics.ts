/**
 * The delivery service's Prometheus metrics, named once here: deliveries by outcome, the time
 * from an alert change to its delivery, dead letters by reason, and each endpoint's state.
 */
import type { Metrics } from '../../lib/metrics';
import type { EndpointState } from './engine/endpoint-health';

export const ENDPOINT_STATES: readonly EndpointState[] = ['closed', 'open', 'half-open', 'throttled', 'disabled'];

export function createDeliveryMetrics(metrics: Metrics) {
  const attempts = metrics.counter('alert_delivery_attempts_total', 'Webhook delivery attempts by outcome (delivered, retry, dead_letter) and payload format', ['outcome', 'format']);
  const latency = metrics.histogram(
    'alert_to_delivered_seconds',
    'Seconds from an alert change (its event time for the oldest alert in the message) to the webhook that carried it being delivered',
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1_800, 7_200, 36_000],
    ['type'],
  );
  const deadLetters = metrics.counter('alert_dead_letters_total', 'Webhook messages given up, by reason (attempts_exhausted, gone, endpoint_disabled)', ['reason']);
  const endpointState = metrics.gauge('alert_endpoint_state', 'Subscription endpoints by circuit state (closed, open, half-open, throttled, disabled)', ['state']);
  const queued = metrics.gauge('alert_messages_queued', 'Webhook messages waiting for an attempt or a retry');
  return {
    attempt(outcome: 'delivered' | 'retry' | 'dead_letter', format: string): void {
      attempts.inc({ outcome, format });
    },
    delivered(type: 'alert' | 'group' | 'digest' | 'summary' | 'test', seconds: number): void {
      latency.observe({ type }, Math.max(0, seconds));
    },
    deadLetter(reason: string): void {
      deadLetters.inc({ reason: reason.startsWith('endpoint disabled') ? 'endpoint_disabled' : reason.startsWith('the endpoint answered 410') ? 'gone' : 'attempts_exhausted' });
    },
    endpoints(counts: Readonly<Record<EndpointState, number>>, waiting: number): void {
      for (const state of ENDPOINT_STATES) endpointState.set({ state }, counts[state]);
      queued.set(waiting);
    },
  };
}

export type DeliveryMetrics = ReturnType<typeof createDeliveryMetrics>;
