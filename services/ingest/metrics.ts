/**
 * The ingest service's Prometheus metrics, created once on the process's registry
 * (lib/metrics.ts) so they appear on /metrics beside the default Node.js ones.
 */
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics } from '../../lib/metrics';

export interface IngestMetrics {
  readonly requests: Counter<'status'>;
  readonly eventsAccepted: Counter<'topic'>;
  readonly eventsDuplicate: Counter<string>;
  /** Events of rejected requests by `error` name; requests rejected before their body was read count under requests only. */
  readonly eventsRejected: Counter<'reason'>;
  readonly ackLatency: Histogram<string>;
  readonly produceEvents: Histogram<string>;
  readonly produceLatency: Histogram<'outcome'>;
  readonly pendingEvents: Gauge<string>;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]; // seconds
const BATCH_BUCKETS = [1, 10, 50, 100, 250, 500, 1_000, 2_000, 5_000]; // events

export function createIngestMetrics(metrics: Metrics): IngestMetrics {
  return {
    requests: metrics.counter('ingest_requests_total', 'HTTP requests answered by the ingest service, by status code', ['status']),
    eventsAccepted: metrics.counter('ingest_events_accepted_total', 'Events written to Kafka and acknowledged (acks=all), by topic', ['topic']),
    eventsDuplicate: metrics.counter('ingest_events_duplicate_total', 'Events answered 202 as duplicates of events Kafka already had (not written again)'),
    eventsRejected: metrics.counter('ingest_events_rejected_total', 'Events of rejected requests, by reason (the error name of the answer)', ['reason']),
    ackLatency: metrics.histogram('ingest_ack_latency_seconds', 'From a request being read to Kafka acknowledging all its events', LATENCY_BUCKETS),
    produceEvents: metrics.histogram('ingest_produce_batch_events', 'Events per Kafka produce (requests coalesced into one batch)', BATCH_BUCKETS),
    produceLatency: metrics.histogram('ingest_produce_seconds', 'Duration of one Kafka produce, by outcome', LATENCY_BUCKETS, ['outcome']),
    pendingEvents: metrics.gauge('ingest_pending_events', 'Events queued for or in flight to Kafka'),
  };
}
