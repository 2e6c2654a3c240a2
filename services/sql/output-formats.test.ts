import { contentTypeOf, outputFormatOf } from './output-formats';

describe('outputFormatOf', () => {
  it('takes the FORMAT clause, else the default format, else TabSeparated', () => {
    expect(outputFormatOf('SELECT 1 FORMAT JSONCompact', 'CSV')).toBe('JSONCompact');
    expect(outputFormatOf('SELECT 1 FORMAT Parquet SETTINGS max_threads = 1;', undefined)).toBe('Parquet');
    expect(outputFormatOf('SELECT 1', 'CSV')).toBe('CSV');
    expect(outputFormatOf('SELECT 1', undefined)).toBe('TabSeparated');
  });

  it('is not fooled by FORMAT in a string or a comment, nor by the input format of an INSERT', () => {
    expect(outputFormatOf("SELECT 'x FORMAT JSON'", undefined)).toBe('TabSeparated');
    expect(outputFormatOf('SELECT 1 -- FORMAT JSON', 'CSV')).toBe('CSV');
    expect(outputFormatOf('SELECT 1 /* FORMAT JSON */', undefined)).toBe('TabSeparated');
    expect(outputFormatOf('INSERT INTO t FORMAT JSONEachRow', 'CSV')).toBe('CSV');
  });
});

describe('contentTypeOf', () => {
  it('gives the Content-Type a server sends per format', () => {
    expect(contentTypeOf('TabSeparated')).toBe('text/tab-separated-values; charset=UTF-8');
    expect(contentTypeOf('TSVWithNames')).toBe('text/tab-separated-values; charset=UTF-8');
    expect(contentTypeOf('CSV')).toBe('text/csv; charset=UTF-8; header=absent');
    expect(contentTypeOf('CSVWithNames')).toBe('text/csv; charset=UTF-8; header=present');
    expect(contentTypeOf('JSON')).toBe('application/json; charset=UTF-8');
    expect(contentTypeOf('JSONEachRow')).toBe('application/x-ndjson; charset=UTF-8');
    expect(contentTypeOf('Native')).toBe('application/octet-stream');
    expect(contentTypeOf('Parquet')).toBe('application/octet-stream');
    expect(contentTypeOf('PrettyCompact')).toBe('text/plain; charset=UTF-8');
  });
});
