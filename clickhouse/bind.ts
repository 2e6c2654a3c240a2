/**
 * Fills `${name}` placeholders of the SQL files under clickhouse/ (retention, access) with
 * values that cannot be query parameters: ClickHouse takes no `{name:Type}` parameters in
 * ALTER ... MODIFY TTL, CREATE USER or the condition of a row policy, which it stores as
 * text. Each value is rendered by the constructor that knows its SQL form (an identifier
 * checked against a strict pattern, a whole number, a quoted and escaped string literal, an
 * array of them), so a setting can never become SQL of its own.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLACEHOLDER = /\$\{([a-z_][a-z0-9_]*)\}/g;

declare const fragment: unique symbol;
/** SQL text made from a value by one of the constructors below. */
export type SqlFragment = string & { readonly [fragment]: true };

export function sqlIdentifier(name: string): SqlFragment {
  if (!IDENTIFIER.test(name)) throw new Error(`invalid identifier ${JSON.stringify(name)}: letters, digits and _, not starting with a digit`);
  return name as SqlFragment;
}

export function sqlInteger(value: number): SqlFragment {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`invalid whole number ${value}`);
  return String(value) as SqlFragment;
}

/** A ClickHouse string literal: backslash and quote escaped, so the value stays one literal. */
export function sqlString(value: string): SqlFragment {
  if (value.includes('\0')) throw new Error('a SQL string cannot hold a NUL character');
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` as SqlFragment;
}

export function sqlStringArray(values: readonly string[]): SqlFragment {
  // The element type is spelled out so an empty list is Array(String), not Array(Nothing).
  return (values.length === 0 ? 'CAST([], \'Array(String)\')' : `[${values.map(sqlString).join(', ')}]`) as SqlFragment;
}

/** Replaces every `${name}`; a placeholder without a value is an error, not left in place. */
export function bindParameters(sql: string, params: Readonly<Record<string, SqlFragment>>): string {
  return sql.replace(PLACEHOLDER, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for the placeholder \${${name}}`);
    return value;
  });
}
