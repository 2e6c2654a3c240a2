import { KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';
import { generationLost } from './kafkajs-adapter';

/** A protocol error as kafkajs builds it from a broker's error code. */
function protocolError(type: string, message: string): KafkaJSProtocolError {
  return new KafkaJSProtocolError({ type, message, code: 0, retriable: false } as unknown as Error);
}

/** As kafkajs' retry gives up on an error: wrapped, the protocol error as the cause (its typings omit the option). */
function gaveUp(error: Error): Error {
  const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, options: { cause: Error }) => Error;
  return new NonRetriable(error, { cause: error });
}

describe('a commit refused because the group moved on', () => {
  it('is told apart by the protocol error kafkajs wraps (seen when MinIO was down and the member was evicted)', () => {
    const evicted = gaveUp(protocolError('UNKNOWN_MEMBER_ID', 'The coordinator is not aware of this member'));
    expect(generationLost(evicted)).toBe(true);
    expect(generationLost(protocolError('ILLEGAL_GENERATION', 'Specified group generation id is not valid'))).toBe(true);
    expect(generationLost(protocolError('REBALANCE_IN_PROGRESS', 'The group is rebalancing'))).toBe(true);
    expect(generationLost(new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first'))).toBe(true);
  });

  it('is not any other failure, which still fails the flush', () => {
    expect(generationLost(gaveUp(protocolError('GROUP_AUTHORIZATION_FAILED', 'Not authorized to access group')))).toBe(false);
    expect(generationLost(new Error('connect ECONNREFUSED 127.0.0.1:9092'))).toBe(false);
    expect(generationLost(undefined)).toBe(false);
  });
});
