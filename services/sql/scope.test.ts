import { filtersLiteral, scopeFilters, storeFilter } from './scope';

describe('scope filters', () => {
  it('filters every store table of a scoped user and hides system tables with data', () => {
    const filters = scopeFilters([{ database: 'shop', table: 'sales' }, { database: 'shop', table: 'dim_store' }], ['processes', 'parts', 'columns', 'one'], ['S1', "S'2"]);
    expect(Object.fromEntries(filters)).toEqual({
      'system.processes': '0',
      'system.parts': '0',
      'shop.sales': "store_id IN ('S1', 'S\\'2')",
      'shop.dim_store': "store_id IN ('S1', 'S\\'2')",
    });
  });
  it('leaves the tables of an unscoped user alone, but not the system tables', () => {
    expect(Object.fromEntries(scopeFilters([{ database: 'shop', table: 'sales' }], ['processes'], 'all'))).toEqual({ 'system.processes': '0' });
  });
  it('shows nothing when the user\'s regions hold no store', () => {
    expect(storeFilter([])).toBe('0');
  });
  it('renders a Map literal of string literals, quotes escaped twice over', () => {
    expect(filtersLiteral(new Map([['shop.sales', "store_id IN ('S1')"]]))).toBe("{'shop.sales': 'store_id IN (\\'S1\\')'}");
  });
});
