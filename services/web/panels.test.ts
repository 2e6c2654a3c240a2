import { tabulate, toCsv } from './panels';

describe('panel data', () => {
  it('writes RFC 4180 CSV, quoting only what needs it', () => {
    expect(toCsv(['sku', 'reason', 'units'], [['MILK-1', 'low, "very"', 3], ['BREAD', null, 0]])).toBe('sku,reason,units\r\nMILK-1,"low, ""very""",3\r\nBREAD,,0\r\n');
  });

  it('keeps the column order of the query and fills missing cells with null', () => {
    expect(tabulate(['b', 'a'], [{ a: 1, b: 'x' }, { a: 2 }])).toEqual([['x', 1], [null, 2]]);
  });
});
