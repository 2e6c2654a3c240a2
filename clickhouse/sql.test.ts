import { bindDatabase, splitStatements } from './sql';

describe('splitStatements', () => {
  it('splits on semicolons that end statements', () => {
    expect(splitStatements('CREATE TABLE a (x UInt8) ENGINE=Memory;\nSELECT 1;')).toEqual(['CREATE TABLE a (x UInt8) ENGINE=Memory', 'SELECT 1']);
  });

  it('keeps semicolons inside strings, quoted identifiers and comments', () => {
    const sql = [
      "CREATE TABLE t (x String COMMENT 'a; b', `we;ird` UInt8) ENGINE=Memory; -- trailing; comment",
      '/* block; comment */ SELECT \'it\'\'s; fine\', "q;id";',
      "SELECT 'back\\'slash;'",
    ].join('\n');
    expect(splitStatements(sql)).toEqual([
      "CREATE TABLE t (x String COMMENT 'a; b', `we;ird` UInt8) ENGINE=Memory",
      "-- trailing; comment\n/* block; comment */ SELECT 'it''s; fine', \"q;id\"",
      "SELECT 'back\\'slash;'",
    ]);
  });

  it('drops pieces that hold only comments and whitespace', () => {
    expect(splitStatements('-- header only\n;\n  /* x */ ;')).toEqual([]);
  });

  it('fails on an unterminated string with its offset', () => {
    expect(() => splitStatements("SELECT 'oops")).toThrow(/unterminated ' quote starting at offset 7/);
  });
});

describe('bindDatabase', () => {
  it('replaces every ${database}', () => {
    expect(bindDatabase('CREATE TABLE ${database}.a AS ${database}.b', 'shop')).toBe('CREATE TABLE shop.a AS shop.b');
  });

  it('refuses anything that is not a bare identifier', () => {
    expect(() => bindDatabase('x', 'shop; DROP TABLE y')).toThrow(/invalid database name/);
  });
});
