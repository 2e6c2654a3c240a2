import { formatClause, judgeStatement, parseExplainAst } from './statement-guard';

// EXPLAIN AST output copied from chDB 3.4.0 (ClickHouse 26.7).
const MERGE_IN_SUBQUERY = `SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 3)
   ExpressionList (children 1)
    Asterisk
   TablesInSelectQuery (children 1)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      TableIdentifier shop.sales
   Function in (children 1)
    ExpressionList (children 2)
     Identifier store_id
     Subquery (children 1)
      SelectWithUnionQuery (children 1)
       ExpressionList (children 1)
        SelectQuery (children 2)
         ExpressionList (children 1)
          Asterisk
         TablesInSelectQuery (children 1)
          TablesInSelectQueryElement (children 1)
           TableExpression (children 1)
            Function merge (children 1)
             ExpressionList (children 2)
              Literal 'shop'
              Literal 'sales'
`;

const NUMBERS_IN_CTE = `SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 3)
   ExpressionList (children 1)
    WithElement (children 1)
     Subquery (children 1)
      SelectWithUnionQuery (children 1)
       ExpressionList (children 1)
        SelectQuery (children 2)
         ExpressionList (children 1)
          Asterisk
         TablesInSelectQuery (children 1)
          TablesInSelectQueryElement (children 1)
           TableExpression (children 1)
            Function numbers (children 1)
             ExpressionList (children 1)
              Literal UInt64_3
   ExpressionList (children 1)
    Asterisk
   TablesInSelectQuery (children 1)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      TableIdentifier t
`;

const FILE_SCALAR = `SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 1)
   ExpressionList (children 1)
    Function file (children 1)
     ExpressionList (children 1)
      Literal '/etc/hostname'
`;

describe('parseExplainAst', () => {
  it('builds the tree from the indentation', () => {
    const root = parseExplainAst(MERGE_IN_SUBQUERY);
    expect(root.kind).toBe('SelectWithUnionQuery');
    expect(root.children[0]!.children[0]!.children.map((c) => c.kind)).toEqual(['ExpressionList', 'TablesInSelectQuery', 'Function']);
  });
  it('refuses two statements', () => {
    expect(() => parseExplainAst('Set\nSet\n')).toThrow(/2 statements/);
  });
});

describe('judgeStatement', () => {
  const judge = (ast: string, formatted = 'SELECT 1') => judgeStatement(formatted, parseExplainAst(ast));
  const code = (v: ReturnType<typeof judge>) => ('refusal' in v ? v.refusal.code : v.kind);

  it('refuses a table function that reads a table, even deep in a subquery', () => {
    expect(code(judge(MERGE_IN_SUBQUERY))).toBe(497);
  });
  it('allows generators such as numbers()', () => {
    expect(code(judge(NUMBERS_IN_CTE))).toBe('read');
  });
  it('refuses the scalar file() function', () => {
    expect(code(judge(FILE_SCALAR))).toBe(497);
  });
  it('refuses INTO OUTFILE from the rendered statement', () => {
    expect(code(judge(NUMBERS_IN_CTE, "SELECT 1\nINTO OUTFILE 'x'\nFORMAT JSON"))).toBe(358);
  });
  it('refuses system tables that show data or other queries, and allows the catalogue drivers read', () => {
    const select = (table: string) => `SelectWithUnionQuery (children 1)\n ExpressionList (children 1)\n  SelectQuery (children 2)\n   ExpressionList (children 1)\n    Asterisk\n   TablesInSelectQuery (children 1)\n    TablesInSelectQueryElement (children 1)\n     TableExpression (children 1)\n      TableIdentifier ${table}\n`;
    expect(code(judge(select('system.processes')))).toBe(497);
    expect(code(judge(select('system.parts')))).toBe(497);
    expect(code(judge(select('system.columns')))).toBe('read');
    expect(code(judge(select('shop.sales')))).toBe('read');
  });
  it('tells reads, SET and USE apart and refuses KILL and writes', () => {
    expect(code(judge('Set\n'))).toBe('set');
    expect(code(judge('UseQuery shop (children 1)\n Identifier shop\n'))).toBe('use');
    expect(code(judge('ShowTables\n'))).toBe('read');
    expect(code(judge('DescribeQuery (children 1)\n TableExpression (children 1)\n  TableIdentifier shop.sales\n'))).toBe('read');
    expect(code(judge('KillQueryQuery Literal_UInt64_1 ASYNC (children 1)\n Literal UInt64_1\n'))).toBe(497);
    expect(code(judge('ShowProcesslistQuery\n'))).toBe(497);
    expect(code(judge('InsertQuery (children 1)\n Identifier t\n'))).toBe(164);
    expect(code(judge('CreateQuery shop t (children 1)\n'))).toBe(164);
  });
});

describe('formatClause', () => {
  it('reads the FORMAT clause of a rendered statement, before or without SETTINGS', () => {
    expect(formatClause('SELECT 1\nFORMAT JSON')).toBe('JSON');
    expect(formatClause("SELECT *\nFROM t\nINTO OUTFILE 'x'\nFORMAT CSVWithNames\nSETTINGS max_threads = 1")).toBe('CSVWithNames');
    expect(formatClause("SELECT 'a\\nFORMAT JSON'")).toBeUndefined();
    expect(formatClause('SELECT 1')).toBeUndefined();
  });
});
