import { FilterError, parseFilters } from './filters';

describe('dashboard filters', () => {
  it('defaults to the four weeks ending on the latest day with data', () => {
    expect(parseFilters({}, '2026-03-31')).toEqual({ region: '', store: '', category: '', from: '2026-03-04', to: '2026-03-31', sku: '' });
  });

  it('keeps the codes and the range it is given', () => {
    expect(parseFilters({ region: 'EU-West', store: 'S001', category: 'Dairy', from: '2026-01-01', to: '2026-01-07', sku: 'MILK-1' }, '2026-03-31')).toEqual({
      region: 'EU-West',
      store: 'S001',
      category: 'Dairy',
      from: '2026-01-01',
      to: '2026-01-07',
      sku: 'MILK-1',
    });
  });

  it.each([
    [{ from: '2026-02-30' }, 'from', 'from must be a date YYYY-MM-DD, got "2026-02-30"'],
    [{ to: 'yesterday' }, 'to', 'to must be a date YYYY-MM-DD, got "yesterday"'],
    [{ from: '2026-02-02', to: '2026-02-01' }, 'from', 'from (2026-02-02) is after to (2026-02-01)'],
    [{ from: '2024-01-01', to: '2026-01-01' }, 'from', 'the range 2024-01-01..2026-01-01 spans 732 days; at most 400'],
    [{ store: "S1' OR 1=1" }, 'store', 'store must be a code of letters'],
    [{ shop: 'S1' }, 'shop', 'unknown filter "shop"'],
  ])('refuses %j naming the parameter', (query, parameter, message) => {
    let caught: unknown;
    try {
      parseFilters(query, '2026-03-31');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FilterError);
    expect((caught as FilterError).parameter).toBe(parameter);
    expect((caught as FilterError).message).toContain(message);
  });
});
