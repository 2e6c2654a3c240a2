import { setUpStatements } from './bi-connection';

describe('a BI connection set up in one engine call', () => {
  const setup = {
    database: 'shelf`stream',
    queryParams: { store: "S1'; DROP TABLE x; --" },
    clientSettings: { max_block_size: '1000' },
    limits: { max_result_rows: '10', readonly_unused: '1' },
    filtersLiteral: "{'db.sales': 'store_id IN (\\'S1\\')'}",
    lockReadOnly: true,
  };

  it('sets the database, the parameters, the client settings then the limits and scope, and locks last', () => {
    expect(setUpStatements(setup)).toEqual([
      'USE `shelf\\`stream`',
      "SET param_store = 'S1\\'; DROP TABLE x; --'",
      "SET max_block_size = '1000', max_result_rows = '10', readonly_unused = '1', additional_table_filters = {'db.sales': 'store_id IN (\\'S1\\')'}",
      'SET readonly = 1',
    ]);
  });

  it('leaves out what is empty, and the lock for the operator', () => {
    expect(setUpStatements({ ...setup, queryParams: {}, clientSettings: {}, limits: {}, filtersLiteral: undefined, lockReadOnly: false })).toEqual(['USE `shelf\\`stream`']);
  });

  it('refuses a setting name that could end the statement', () => {
    expect(() => setUpStatements({ ...setup, clientSettings: { 'a = 1; SET readonly': '0' } })).toThrow(/invalid setting name/);
  });
});
