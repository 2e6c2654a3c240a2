import { DEFAULT_PAGE_SIZE, encodeCursor, parseCursor, parseDate, parseDateRange, parseEnum, parseId, parseLimit, parseProbability } from './params';

describe('read API parameters', () => {
  it('limit: default, bounds, and a 400 naming it', () => {
    expect(parseLimit(undefined, 500)).toEqual({ ok: true, value: DEFAULT_PAGE_SIZE });
    expect(parseLimit(undefined, 10)).toEqual({ ok: true, value: 10 });
    expect(parseLimit('1', 500)).toEqual({ ok: true, value: 1 });
    expect(parseLimit('500', 500)).toEqual({ ok: true, value: 500 });
    for (const bad of ['0', '501', '-1', '2.5', 'ten', '', '1e2']) {
      const r = parseLimit(bad, 500);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problem.parameter).toBe('limit');
    }
    expect(parseLimit(['1', '2'], 500)).toEqual({ ok: false, problem: { parameter: 'limit', message: 'limit is given 2 times; give it once' } });
  });

  it('dates: real calendar dates only, from <= to', () => {
    expect(parseDate('from', '2026-02-28')).toEqual({ ok: true, value: '2026-02-28' });
    expect(parseDate('from', undefined)).toEqual({ ok: true, value: undefined });
    for (const bad of ['2026-02-30', '2026-2-1', '26-02-01', '2026-02-01T00:00', '1969-12-31', '2150-01-01']) expect(parseDate('to', bad)).toMatchObject({ ok: false, problem: { parameter: 'to' } });
    expect(parseDateRange('2026-03-02', '2026-03-01')).toEqual({ ok: false, problem: { parameter: 'from', message: 'from (2026-03-02) is after to (2026-03-01)' } });
    expect(parseDateRange('2026-03-01', '2026-03-01')).toEqual({ ok: true, value: { from: '2026-03-01', to: '2026-03-01' } });
    expect(parseDateRange(undefined, '2026-03-01')).toEqual({ ok: true, value: { to: '2026-03-01' } });
  });

  it('ids, enums and probabilities', () => {
    expect(parseId('sku', 'SKU-0001')).toEqual({ ok: true, value: 'SKU-0001' });
    expect(parseId('sku', "x' OR 1=1")).toMatchObject({ ok: false, problem: { parameter: 'sku' } });
    expect(parseId('sku', '')).toMatchObject({ ok: false });
    expect(parseEnum('state', undefined, ['open', 'resolved', 'all'], 'open')).toEqual({ ok: true, value: 'open' });
    expect(parseEnum('state', 'closed', ['open', 'resolved', 'all'], 'open')).toEqual({
      ok: false,
      problem: { parameter: 'state', message: 'state must be one of open, resolved, all, got "closed"' },
    });
    expect(parseProbability('min_risk', '0.25', 0)).toEqual({ ok: true, value: 0.25 });
    expect(parseProbability('min_risk', undefined, 0)).toEqual({ ok: true, value: 0 });
    for (const bad of ['1.5', '-0.1', 'NaN', '', '.5']) expect(parseProbability('min_risk', bad, 0)).toMatchObject({ ok: false, problem: { parameter: 'min_risk' } });
  });

  it('cursor: round-trips its key for the route that made it', () => {
    const cursor = encodeCursor('at-risk', ['4605380978949069210', 'SKU-7']);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(parseCursor(cursor, 'at-risk', ['string', 'string'])).toEqual({ ok: true, value: ['4605380978949069210', 'SKU-7'] });
    expect(parseCursor(undefined, 'at-risk', ['string', 'string'])).toEqual({ ok: true, value: undefined });
  });

  it('cursor: refuses one from another route, edited, of the wrong shape, or not base64url', () => {
    const refused = (raw: string, shape: ('string' | 'number')[] = ['string']): void => expect(parseCursor(raw, 'reorder-advice', shape)).toMatchObject({ ok: false, problem: { parameter: 'cursor' } });
    refused(encodeCursor('forecasts', ['SKU-1']));
    refused(encodeCursor('reorder-advice', ['SKU-1', 'extra']));
    refused(encodeCursor('reorder-advice', [7]));
    refused(encodeCursor('reorder-advice', [1.5]), ['number']);
    refused('not a cursor!');
    refused(Buffer.from('{"route":1}').toString('base64url'));
    refused(encodeCursor('reorder-advice', ['SKU-1']).slice(0, -3));
  });
});
