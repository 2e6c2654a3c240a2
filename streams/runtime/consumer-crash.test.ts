import * as kafkajs from 'kafkajs';
import { ShelfStreamError } from '../../lib/errors';
import { crashedOnUnreachableBroker, restartDelayMs } from './consumer-crash';

// kafkajs's own error classes, built as kafkajs builds them (its type declarations omit the
// constructors' second argument): the retrier wraps the error it gives up on, with it as cause.
type ErrorClass = new (e: unknown, options?: { cause?: unknown }) => Error;
const classOf = (name: string): ErrorClass => (kafkajs as unknown as Record<string, ErrorClass>)[name]!;
const wrapped = (cause: Error): Error => new (classOf('KafkaJSNonRetriableError'))(cause, { cause });
const protocolError = (type: string, code: number, message: string): Error => new (classOf('KafkaJSProtocolError'))({ message, type, code, retriable: false });

describe('consumer crashes the runtime restarts', () => {
  it('restarts the crash of a join while the broker is down, as kafkajs wraps it', () => {
    // What the fault test's velocity consumer crashed with: the retrier wraps the lookup's error.
    expect(crashedOnUnreachableBroker(wrapped(new (classOf('KafkaJSGroupCoordinatorNotFound'))('Failed to find group coordinator')))).toBe(true);
    expect(crashedOnUnreachableBroker(wrapped(new (classOf('KafkaJSConnectionError'))('Connection error: connect ECONNREFUSED 127.0.0.1:9092')))).toBe(true);
  });

  it('restarts a coordinator still loading the group', () => {
    expect(crashedOnUnreachableBroker(wrapped(protocolError('COORDINATOR_LOAD_IN_PROGRESS', 14, "The coordinator is loading and hence can't process requests for this group")))).toBe(true);
  });

  it('lets any other crash stop the processor', () => {
    expect(crashedOnUnreachableBroker(wrapped(protocolError('GROUP_AUTHORIZATION_FAILED', 30, 'Not authorized to access group')))).toBe(false);
    expect(crashedOnUnreachableBroker(wrapped(new ShelfStreamError('CONFIG_INVALID', 'the processor refused its configuration')))).toBe(false);
    expect(crashedOnUnreachableBroker('not an error')).toBe(false);
  });

  it('waits 1 s, then twice as long each time, up to 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(restartDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });
});
