import { ShelfStreamError } from '../../lib/errors';
import type { ReadQuerySource } from './queries';
import { answerQuery, remoteQuerySource, type ToOwner, type ToWorker } from './thread-messages';

/** An owner whose sources answer by lane, and fail for one store. */
function owner(): Record<'interactive' | 'page', ReadQuerySource> {
  const source = (lane: string): ReadQuerySource => ({
    storeExists: async (store) => {
      if (store === 'S-DOWN') throw new ShelfStreamError('SERVICE_UNAVAILABLE', 'engine closed', { context: { store_id: store } });
      if (store === 'S-ODD') throw new Error('Code: 60. Unknown table');
      return store === `S-${lane}`;
    },
    forecasts: async () => ({ rows: [], nextKey: undefined }),
    reorderAdvice: async () => ({ rows: [], nextKey: undefined }),
    atRisk: async (store, filter, limit, after) => ({ rows: [], nextKey: [store, String(filter.minRisk), String(limit), ...(after ?? [])] }),
    alerts: async () => ({ rows: [], nextKey: undefined }),
    insightFigures: async () => ({ asOf: null, movers: [], weekdays: [], week: { units_last_7d: 0, units_prior_7d: 0, net_minor_last_7d: 0, net_minor_prior_7d: 0, alerts_last_7d: 0, alerts_prior_7d: 0 } }),
  });
  return { interactive: source('interactive'), page: source('page') };
}

/** The two sides wired by structured clones, as a worker's port does. */
function wire(): ReturnType<typeof remoteQuerySource> {
  const sources = owner();
  const remote = remoteQuerySource((message: ToOwner) => {
    if (message.kind === 'query') answerQuery(sources, structuredClone(message), (answer: ToWorker) => remote.settle(structuredClone(answer) as Extract<ToWorker, { kind: 'answer' }>));
  });
  return remote;
}

describe('read API thread messages', () => {
  it("runs each query in the lane it was asked in, with its arguments, and answers the caller's own call", async () => {
    const remote = wire();
    const [interactive, page, list] = await Promise.all([
      remote.source('interactive').storeExists('S-interactive'),
      remote.source('page').storeExists('S-interactive'),
      remote.source('interactive').atRisk('S1', { minRisk: 0.5 }, 50, ['k', 'W1']),
    ]);
    expect([interactive, page, list]).toEqual([true, false, { rows: [], nextKey: ['S1', '0.5', '50', 'k', 'W1'] }]);
  });

  it('fails a call with a typed error: its own code and context, or SERVICE_UNAVAILABLE naming what ClickHouse said', async () => {
    const remote = wire();
    const down = await remote.source('interactive').storeExists('S-DOWN').catch((e: unknown) => e);
    expect(down).toBeInstanceOf(ShelfStreamError);
    expect(down).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'engine closed', context: { store_id: 'S-DOWN' } });
    const odd = await remote.source('interactive').storeExists('S-ODD').catch((e: unknown) => e);
    expect(odd).toMatchObject({ code: 'SERVICE_UNAVAILABLE', canRetry: true });
    expect((odd as Error).message).toContain('Code: 60. Unknown table');
  });
});
