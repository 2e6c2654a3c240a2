import { describeError, ShelfStreamError } from './errors';

describe('describeError', () => {
  it('joins the messages of the causes, each once', () => {
    const root = new Error('connect ECONNREFUSED 127.0.0.1:9092');
    const error = new ShelfStreamError('SERVICE_UNAVAILABLE', 'Kafka did not acknowledge the batch', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9092', { cause: root }) });
    expect(describeError(error)).toBe('Kafka did not acknowledge the batch: connect ECONNREFUSED 127.0.0.1:9092');
  });

  it("follows an AggregateError without a cause into its first error, as @platformatic/kafka nests a broker's answer", () => {
    const broker = new Error('The broker received an out of order sequence number.');
    const response = new AggregateError([broker], 'Received response with error while executing API Produce(v11)');
    const produce = new AggregateError([response, new Error('Connection closed')], 'Producing messages failed.');
    expect(describeError(new Error('Kafka did not acknowledge the batch', { cause: produce }))).toBe(
      'Kafka did not acknowledge the batch: Producing messages failed.: Received response with error while executing API Produce(v11) (and 1 more): The broker received an out of order sequence number.',
    );
  });

  it('prefers the cause of an AggregateError that has one, and describes what is not an Error', () => {
    expect(describeError(new AggregateError([new Error('inner')], 'outer', { cause: 'the cause' }))).toBe('outer: the cause');
    expect(describeError('plain text')).toBe('plain text');
  });
});
