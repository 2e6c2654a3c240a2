/**
 * Which consumer crashes the runtime restarts itself, beyond kafkajs's own restarts.
 *
 * kafkajs restarts a crashed consumer only when the crash is retriable, and it classes "Failed
 * to find group coordinator" (KafkaJSGroupCoordinatorNotFound) as non-retriable: a consumer that
 * joins its group while the broker is down (or still loading the group's coordinator) crashes
 * for good, and the process goes on without it (tulios/kafkajs#1445, #1630). Seen in the Kafka
 * outage fault test of 2026-12-07: the velocity processor crashed this way 0.3 s after the broker
 * stopped and never read again once it was back. Those crashes say the broker could not be
 * reached, not that the processor cannot run, so they are restarted with a backoff for as long
 * as the processor is not stopping. Any other non-retriable crash (authorisation, a bad
 * configuration, an error the processor itself threw) still stops the processor. The readers of
 * the global tables (global-table.ts) are restarted the same way: a reader given up would leave
 * its table as it was and every barrier waiting on it.
 */

/** Errors of kafkajs that mean the broker or the group's coordinator could not be reached. */
const UNREACHABLE_NAMES = new Set(['KafkaJSGroupCoordinatorNotFound', 'KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSBrokerNotFound', 'KafkaJSNoBrokerAvailableError', 'KafkaJSRequestTimeoutError']);
/** Protocol errors of a coordinator that is moving or loading (Kafka's error codes 14, 15, 16). */
const COORDINATOR_TYPES = new Set(['COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'GROUP_LOAD_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP']);

/** True when the crash, or any error in its cause chain, says the broker could not be reached. */
export function crashedOnUnreachableBroker(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    if (UNREACHABLE_NAMES.has(e.name)) return true;
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && COORDINATOR_TYPES.has(type)) return true;
  }
  return false;
}

/** Wait before the n-th restart in a row (1-based): 1 s doubling to 30 s, as kafkajs's own retries grow. */
export function restartDelayMs(attempt: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.max(0, attempt - 1));
}
