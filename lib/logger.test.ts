import { Writable } from 'node:stream';
import pino from 'pino';
import { ShelfStreamError } from './errors';
import { createLogger } from './logger';

function capture(): { destination: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { destination, lines: () => chunks.join('').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('logger error serialization', () => {
  it('names an error by its class', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', service: 'test', destination: out.destination });
    logger.error({ err: new ShelfStreamError('SERVICE_UNAVAILABLE', 'engine gone', { canRetry: true }) }, 'failed');
    logger.flush();
    const err = out.lines()[0]?.err as Record<string, unknown>;
    expect(err.type).toBe('ShelfStreamError');
    expect(err.message).toBe('engine gone');
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
  });

  it("does not repeat a cause the message already names, and appends one it does not (pino's own rule)", () => {
    const out = capture();
    const logger = createLogger({ level: 'info', service: 'test', destination: out.destination });
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:9092');
    logger.error({ err: new ShelfStreamError('SERVICE_UNAVAILABLE', 'Kafka did not acknowledge the batch: connect ECONNREFUSED 127.0.0.1:9092', { cause: refused }) }, 'failed');
    logger.error({ err: new ShelfStreamError('SERVICE_UNAVAILABLE', 'Kafka did not acknowledge the batch', { cause: refused }) }, 'failed');
    logger.flush();
    const [named, unnamed] = out.lines().map((line) => (line.err as { message: string }).message);
    expect(named).toBe('Kafka did not acknowledge the batch: connect ECONNREFUSED 127.0.0.1:9092');
    expect(unnamed).toBe('Kafka did not acknowledge the batch: connect ECONNREFUSED 127.0.0.1:9092');
  });

  it('keeps the type of an error another thread already serialized', () => {
    // What the read API worker's logger sends: a finished line, parsed and written again by the owner.
    const worker = capture();
    pino({ base: undefined, serializers: { err: pino.stdSerializers.err } }, worker.destination).error({ err: new RangeError('page out of range') }, 'bad page');
    const forwarded = worker.lines()[0] as { err: unknown };
    const out = capture();
    const owner = createLogger({ level: 'info', service: 'test', destination: out.destination });
    owner.error({ err: forwarded.err }, 'bad page');
    owner.flush();
    const err = out.lines()[0]?.err as Record<string, unknown>;
    expect(err.type).toBe('RangeError');
    expect(err.message).toBe('page out of range');
    expect(typeof err.stack).toBe('string');
  });
});
