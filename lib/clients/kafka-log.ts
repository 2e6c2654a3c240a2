/**
 * The pino level of a kafkajs log line. kafkajs logs at ERROR every failed response, even one
 * it is about to retry: a fresh broker answers the first group requests with "the coordinator
 * is loading" or "not available" for a few seconds while it loads __consumer_offsets, and the
 * first produce or fetch of a topic created a moment ago with "not the leader for that
 * topic-partition" until its leader is elected; the client refreshes its metadata and retries
 * them by itself. Those lines would greet every `run all` and `demo` with
 * error-level noise for a condition nobody has to act on. Only those retriable coordinator
 * errors are lowered, and only where a retry follows:
 *
 *   - `[Connection] Response <api>` carrying one of them: the request is retried by kafkajs'
 *     retrier (debug: the retry itself is the story, a failure surfaces below);
 *   - the runner's "not aware of this member, re-joining the group" (warn, as kafkajs' own
 *     "the group is rebalancing, re-joining" is): the session expired and the consumer joins again;
 *   - a consumer `Crash` whose cause is one of them, and the `Restarting the consumer` line that
 *     follows: kafkajs restarts a consumer whose error is retriable (warn: still visible, since
 *     a consumer that keeps restarting is worth seeing).
 *
 * Anything else at ERROR (another protocol error, a refused password, a crash for any other
 * cause, "Caught error when ...") stays an error.
 */
import { logLevel as KafkaLogLevel } from 'kafkajs';

export type PinoLevel = 'error' | 'warn' | 'info' | 'debug';

const TO_PINO: Record<number, PinoLevel> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/**
 * kafkajs' messages for the retriable coordinator errors (protocol/error.js: codes 14, 15, 16)
 * and the leader moving or not elected yet (6),
 * matched on their start, as they appear in `error` fields and crash messages.
 */
export const RETRIED_COORDINATOR_ERRORS = [
  'The coordinator is loading', // GROUP_LOAD_IN_PROGRESS (14)
  'The group coordinator is not available', // GROUP_COORDINATOR_NOT_AVAILABLE (15)
  'This is not the correct coordinator for this group', // NOT_COORDINATOR_FOR_GROUP (16)
  'This server is not the leader for that topic-partition', // NOT_LEADER_FOR_PARTITION (6): metadata refreshed, then retried
  'The coordinator is not aware of this member', // UNKNOWN_MEMBER_ID (25): the runner re-joins the group (its line below)
] as const;

/** The runner's line when it re-joins after UNKNOWN_MEMBER_ID (consumer/runner.js), an error there; its "group is rebalancing, re-joining" is a warning. */
const REJOINING = 'The coordinator is not aware of this member, re-joining the group';

const isRetriedCoordinatorError = (text: unknown): boolean => typeof text === 'string' && RETRIED_COORDINATOR_ERRORS.some((m) => text.startsWith(m));

/** Remembers, per consumer group, that its last crash was a retried coordinator error. */
export interface KafkaLogLevels {
  levelOf(level: number, namespace: string, message: string, fields: Readonly<Record<string, unknown>>): PinoLevel;
}

export function createKafkaLogLevels(): KafkaLogLevels {
  // groupId -> the last crash was a coordinator error, so its "Restarting" line is routine too.
  const restartingAfterCoordinatorCrash = new Set<unknown>();
  return {
    levelOf(level, namespace, message, fields) {
      const base = TO_PINO[level] ?? 'info';
      if (base !== 'error') return base;
      if (namespace === 'Connection' && message.startsWith('Response ') && isRetriedCoordinatorError(fields.error)) return 'debug';
      // The member's session expired (an event loop held too long, a broker restart): a rebalance
      // follows, worth seeing, but kafkajs joins again by itself.
      if (namespace === 'Runner' && message === REJOINING) return 'warn';
      if (namespace === 'Consumer') {
        const crash = /^Crash: \w+: (.*)$/s.exec(message);
        if (crash) {
          const routine = isRetriedCoordinatorError(crash[1]);
          if (routine) restartingAfterCoordinatorCrash.add(fields.groupId);
          else restartingAfterCoordinatorCrash.delete(fields.groupId);
          return routine ? 'warn' : 'error';
        }
        if (message.startsWith('Restarting the consumer') && restartingAfterCoordinatorCrash.delete(fields.groupId)) return 'warn';
      }
      return base;
    },
  };
}
