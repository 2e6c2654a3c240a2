/**
 * What happens to a record that cannot be processed (Kafka Streams' deserialization and
 * processing exception handlers): chosen per processor (ProcessorDefinition.badRecords).
 *
 * - dead-letter (the default): the record goes to the dead-letter topic with the reason in its
 *   headers, before the commit that passes it; counted in dead_letters_total.
 * - fail: the processor stops at the record (a typed error naming it); nothing passes it. For a
 *   processor whose output would be wrong without every record (none today).
 * - log-and-continue: logged once, with the reason, counted in bad_records_skipped_total, and
 *   passed. For an input whose loss is harmless and whose dead letters would only be noise.
 */
import { ShelfStreamError, type ErrorCode } from '../../lib/errors';

/** A record set aside: where it came from and why. */
export interface BadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly code: ErrorCode;
  readonly reason: string;
}

export type BadRecordAction = 'dead-letter' | 'skip';

export interface BadRecordPolicy {
  readonly name: string;
  /** Decides for one record; throws to stop the processor at it. */
  decide(bad: BadRecord): BadRecordAction;
}

export const DEAD_LETTER: BadRecordPolicy = { name: 'dead-letter', decide: () => 'dead-letter' };

export const LOG_AND_CONTINUE: BadRecordPolicy = { name: 'log-and-continue', decide: () => 'skip' };

export const FAIL: BadRecordPolicy = {
  name: 'fail',
  decide: (bad) => {
    throw new ShelfStreamError(bad.code, `record ${bad.topic}/${bad.partition}/${bad.offset} cannot be processed and the processor's policy is to stop: ${bad.reason}`, {
      canRetry: false,
      context: { topic: bad.topic, partition: bad.partition, offset: String(bad.offset) },
    });
  },
};
