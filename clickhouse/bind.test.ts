import { bindParameters, sqlIdentifier, sqlInteger, sqlString, sqlStringArray } from './bind';

describe('bindParameters', () => {
  it('fills every placeholder with the rendered value', () => {
    expect(bindParameters('ALTER TABLE ${database}.t MODIFY TTL d + INTERVAL ${days} DAY', { database: sqlIdentifier('shop'), days: sqlInteger(30) })).toBe(
      'ALTER TABLE shop.t MODIFY TTL d + INTERVAL 30 DAY',
    );
  });

  it('refuses a placeholder without a value instead of leaving it in the SQL', () => {
    expect(() => bindParameters('SELECT ${missing}', {})).toThrow(/no value for the placeholder \$\{missing\}/);
  });

  it('keeps a hostile string one literal', () => {
    expect(sqlString("x' OR 1 --")).toBe("'x\\' OR 1 --'");
    expect(sqlString('back\\slash')).toBe("'back\\\\slash'");
    expect(() => sqlString('nul\0')).toThrow(/NUL/);
  });

  it('renders arrays, typing the empty one', () => {
    expect(sqlStringArray(['France', "Côte d'Ivoire"])).toBe("['France', 'Côte d\\'Ivoire']");
    expect(sqlStringArray([])).toBe("CAST([], 'Array(String)')");
  });

  it('refuses identifiers and numbers that are not', () => {
    expect(() => sqlIdentifier('a; DROP TABLE x')).toThrow(/invalid identifier/);
    expect(() => sqlIdentifier('1abc')).toThrow(/invalid identifier/);
    expect(() => sqlInteger(1.5)).toThrow(/whole number/);
    expect(() => sqlInteger(-1)).toThrow(/whole number/);
  });
});
