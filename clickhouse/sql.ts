/**
 * Splits a migration file into statements. ClickHouse's HTTP interface (and chDB) run one
 * statement per request, so the runner needs each `;`-terminated statement on its own; a `;`
 * inside a string literal, a quoted identifier or a comment does not end a statement.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      current += sql.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw new Error('unterminated /* comment');
      current += sql.slice(i, end + 2);
      i = end + 2;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (; j < n; j++) {
        if (sql[j] === '\\') {
          j++;
          continue;
        }
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            j++; // doubled quote escapes itself
            continue;
          }
          break;
        }
      }
      if (j >= n) throw new Error(`unterminated ${c} quote starting at offset ${i}`);
      current += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === ';') {
      if (hasCode(current)) statements.push(current.trim());
      current = '';
      i++;
      continue;
    }
    current += c;
    i++;
  }
  if (hasCode(current)) statements.push(current.trim());
  return statements;
}

/** True when the text holds more than whitespace and comments. */
function hasCode(text: string): boolean {
  return text.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '').trim().length > 0;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Migrations name the database as `${database}` because embedded ClickHouse ignores the
 * client's database setting; the value is validated as a bare identifier before it is put in.
 */
export function bindDatabase(sql: string, database: string): string {
  if (!IDENTIFIER.test(database)) throw new Error(`invalid database name ${JSON.stringify(database)}`);
  return sql.replace(/\$\{database\}/g, database);
}
