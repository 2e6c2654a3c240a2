import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cityHash128 } from './cityhash128';

/**
 * Vectors from github.com/go-faster/city `_testdata/ch128.csv` (v1.0.1): the ClickHouse CityHash
 * that clickhouse-go (through ch-go's compressor) uses for its blocks. Each line is the input
 * (ASCII), then the low and high 64-bit halves in hex; the lengths picked cover every branch
 * (0-3, 4-8, 9-16, 17-127 bytes, 128 and the 0-127-byte tail after whole 128-byte rounds).
 */
const vectors = readFileSync(join(__dirname, 'testdata', 'cityhash128-clickhouse.csv'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => line.split(','))
  .map(([input, low, high]) => ({ input: input!, low: BigInt(`0x${low}`), high: BigInt(`0x${high}`) }));

describe('cityHash128 (ClickHouse v1.0.2)', () => {
  it.each(vectors.map((v) => [v.input.length, v] as const))('matches the published vector for %i bytes', (_length, vector) => {
    const hash = cityHash128(Buffer.from(vector.input, 'latin1'));
    expect(hash.low.toString(16)).toBe(vector.low.toString(16));
    expect(hash.high.toString(16)).toBe(vector.high.toString(16));
  });

  it('hashes a slice of a larger buffer as the slice alone', () => {
    const input = Buffer.from(vectors.at(-1)!.input, 'latin1');
    const padded = Buffer.concat([Buffer.from('xyz'), input, Buffer.from('tail')]);
    expect(cityHash128(padded.subarray(3, 3 + input.length))).toEqual(cityHash128(input));
  });
});
