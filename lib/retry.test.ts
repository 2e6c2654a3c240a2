import { ShelfStreamError } from './errors';
import { backoffDelay, withRetry } from './retry';

const fast = { retries: 3, initialDelayMs: 1, maxDelayMs: 2 };

describe('withRetry', () => {
  it('retries an error that says it can be retried, then succeeds', async () => {
    let calls = 0;
    const result = await withRetry(async () => {
      calls++;
      if (calls < 3) throw new ShelfStreamError('SERVICE_UNAVAILABLE', 'down');
      return 'ok';
    }, fast);
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('does not retry an error that cannot be retried', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new ShelfStreamError('CONFIG_INVALID', 'bad');
      }, fast),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(calls).toBe(1);
  });

  it('gives up after the configured retries with the last error', async () => {
    let calls = 0;
    const retried: number[] = [];
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new ShelfStreamError('SERVICE_UNAVAILABLE', `down ${calls}`);
        },
        { ...fast, onRetry: (_e, attempt) => retried.push(attempt) },
      ),
    ).rejects.toThrow('down 4');
    expect(calls).toBe(4);
    expect(retried).toEqual([1, 2, 3]);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, scaled by the jitter draw', () => {
    const options = { retries: 10, initialDelayMs: 100, maxDelayMs: 1_000, factor: 2 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, options, () => 1))).toEqual([100, 200, 400, 800, 1_000]);
    expect(backoffDelay(3, options, () => 0.5)).toBe(200);
  });
});
