import { accessStatements, policyCondition } from './access';

const bi = { user: 'bi_paris', password: "s3cr'et", regions: ['France'], stores: ['S042'] };

describe('accessStatements', () => {
  const statements = accessStatements('shop', bi, ['dim_store', 'fact_sale_lines', 'alerts']);

  it('creates a readonly=2 user with the role and a policy per store table', () => {
    expect(statements).toContain('CREATE ROLE IF NOT EXISTS shop_bi_reader');
    expect(statements).toContain('GRANT SELECT ON shop.* TO shop_bi_reader');
    expect(statements.filter((s) => /SETTINGS readonly = 2/.test(s))).toHaveLength(2);
    expect(statements.filter((s) => s.startsWith('CREATE ROW POLICY OR REPLACE bi_paris_stores ON ')).map((s) => /ON (\S+)/.exec(s)![1])).toEqual([
      'shop.dim_store',
      'shop.fact_sale_lines',
      'shop.alerts',
    ]);
  });

  it('quotes the password and the scope as literals', () => {
    expect(statements.some((s) => s.includes("BY 's3cr\\'et'"))).toBe(true);
    const fact = statements.find((s) => s.includes('ON shop.fact_sale_lines'))!;
    expect(policyCondition(fact)).toBe(
      "(empty(['S042']) AND empty(['France']))\n        OR has(['S042'], store_id)\n        OR store_id IN (SELECT store_id FROM shop.dim_store FINAL WHERE has(['France'], region))",
    );
  });

  it('refuses a user name that is not an identifier', () => {
    expect(() => accessStatements('shop', { ...bi, user: 'x; DROP USER default' }, [])).toThrow(/invalid identifier/);
  });
});
