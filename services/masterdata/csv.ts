/**
 * RFC 4180 CSV: fields separated by commas, quoted with double quotes when they hold a comma,
 * a quote (doubled) or a line break; CRLF or LF line ends; a UTF-8 byte-order mark ignored.
 * The first line names the columns. Each row keeps its line number in the file, so an error
 * can name the line a person sees in an editor.
 */
export interface CsvRow {
  /** 1-based line of the file where the row starts (the header is line 1). */
  readonly line: number;
  readonly values: Readonly<Record<string, string>>;
}

export type CsvResult = { readonly ok: true; readonly columns: readonly string[]; readonly rows: readonly CsvRow[] } | { readonly ok: false; readonly line: number; readonly reason: string };

export function parseCsv(text: string): CsvResult {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = (): void => {
    fields.push(field);
    // A blank line (one empty field) is no record.
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"') {
      if (field !== '') return { ok: false, line, reason: 'a quote inside an unquoted field (quote the whole field and double the quote)' };
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else field += c;
  }
  if (quoted) return { ok: false, line: recordLine, reason: 'a quoted field is not closed before the end of the file' };
  if (field !== '' || fields.length > 0) endRecord();
  const header = records.shift();
  if (!header) return { ok: false, line: 1, reason: 'the file is empty: the first line names the columns' };
  const columns = header.fields.map((f) => f.trim());
  const seen = new Set<string>();
  for (const c of columns) {
    if (c === '') return { ok: false, line: 1, reason: 'a column of the header has no name' };
    if (seen.has(c)) return { ok: false, line: 1, reason: `column ${c} appears twice in the header` };
    seen.add(c);
  }
  const rows: CsvRow[] = [];
  for (const r of records) {
    if (r.fields.length !== columns.length) return { ok: false, line: r.line, reason: `${r.fields.length} fields, but the header names ${columns.length} columns` };
    rows.push({ line: r.line, values: Object.fromEntries(columns.map((c, j) => [c, r.fields[j]!])) });
  }
  return { ok: true, columns, rows };
}
