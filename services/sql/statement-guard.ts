/**
 * What a BI user's statement may be, judged on the engine's own parse of it (`EXPLAIN AST`),
 * never on the SQL text: a BI statement runs only when it is one read statement that names
 * no table function but the harmless generators, calls no function that reads the machine's
 * files, and writes no file.
 *
 * Why this exists beside `readonly = 1` (see ./bi-connection.ts): embedded ClickHouse runs
 * without access control, so the grants a server would check are absent. Measured on chDB
 * 3.4.0 (ClickHouse 26.7) on a connection with `readonly = 1` and `additional_table_filters`:
 * - `merge('db', 'table')` reads the table WITHOUT its additional filter, and
 *   `mergeTreeIndex(...)` / `mergeTreeAnalyzeIndexes(...)` print primary-key values, so table
 *   functions are refused unless known to read no table (numbers, zeros, values, ...);
 *   `view(SELECT ...)` is allowed, the filter reaches the tables inside it;
 * - the scalar function `file('/etc/hostname')` reads a file of the host;
 * - `SELECT ... INTO OUTFILE 'x'` writes the file (clickhouse-local allows it, a server does not);
 * - `KILL QUERY WHERE 1` runs and would kill the processors' inserts (one engine user for all);
 * - several statements in one query all run (`SELECT 1; SELECT 2`), so the executor runs the
 *   engine's own rendering of exactly one statement (`formatQuery`, which refuses two), and
 *   this guard judges that same text.
 * `file()`, `url()`, `remote()`, `loop()`, writes and DDL are also refused by readonly itself.
 */
import { sqlError } from './clickhouse-errors';
import { READABLE_SYSTEM_TABLES } from './scope';
import type { SqlEndpointError } from './contract';

export interface AstNode {
  readonly kind: string;
  /** The rest of the line after the kind (a function's name, an identifier...). */
  readonly detail: string;
  readonly children: AstNode[];
}

/** Parses `EXPLAIN AST` output (one node a line, one space of indent per level) into a tree. */
export function parseExplainAst(text: string): AstNode {
  const root: AstNode = { kind: '', detail: '', children: [] };
  const stack: { depth: number; node: AstNode }[] = [{ depth: -1, node: root }];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const depth = line.length - line.trimStart().length;
    const body = line.trim().replace(/ \(children \d+\)$/, '');
    const space = body.indexOf(' ');
    const node: AstNode = { kind: space < 0 ? body : body.slice(0, space), detail: space < 0 ? '' : body.slice(space + 1), children: [] };
    while (stack.length > 1 && stack[stack.length - 1]!.depth >= depth) stack.pop();
    stack[stack.length - 1]!.node.children.push(node);
    stack.push({ depth, node });
  }
  if (root.children.length !== 1) throw new Error(`EXPLAIN AST gave ${root.children.length} statements, expected one`);
  return root.children[0]!;
}

/** Statement kinds a BI user may run: reads, metadata, and the session's own SET and USE. */
export type StatementKind = 'read' | 'set' | 'use';

function statementKind(root: AstNode): StatementKind | undefined {
  if (root.kind === 'Set') return 'set';
  if (root.kind === 'UseQuery') return 'use';
  if (['SelectWithUnionQuery', 'SelectIntersectExceptQuery', 'SelectQuery', 'Explain', 'DescribeQuery'].includes(root.kind)) return 'read';
  if (/^Show[A-Za-z]*$/.test(root.kind) && root.kind !== 'ShowProcesslistQuery') return 'read';
  if (/^Exists[A-Za-z]*Query$/.test(root.kind)) return 'read';
  return undefined;
}

/** Table functions that read no table and no file: generators and literals. */
const HARMLESS_TABLE_FUNCTIONS = new Set(['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'values', 'view', 'generaterandom', 'generate_series', 'generateseries', 'null', 'format']);
/** Scalar functions that read outside the database. */
const HOST_READING_FUNCTIONS = new Set(['file']);

function* walk(node: AstNode, parent: AstNode | undefined): Generator<{ node: AstNode; parent: AstNode | undefined }> {
  yield { node, parent };
  for (const child of node.children) yield* walk(child, node);
}

/**
 * Judges one statement: its kind when a BI user may run it, else the refusal a server with
 * access control would give (READONLY for writes and DDL, ACCESS_DENIED for what needs a
 * grant, INTO_OUTFILE_NOT_ALLOWED for a file written by the server).
 * @param formatted the statement as `formatQuery` rendered it (one statement)
 * @param ast the same statement's `EXPLAIN AST`
 */
export function judgeStatement(formatted: string, ast: AstNode): { kind: StatementKind } | { refusal: SqlEndpointError } {
  const kind = statementKind(ast);
  if (kind === undefined) {
    if (ast.kind === 'KillQueryQuery' || ast.kind === 'ShowProcesslistQuery') {
      return { refusal: sqlError('ACCESS_DENIED', `${ast.kind.replace(/Query$/, '')} is not allowed for a BI user: it would see or stop other users' queries. (ACCESS_DENIED)`) };
    }
    return { refusal: sqlError('READONLY', `Cannot execute query in readonly mode: a BI user may only read (${ast.kind}). (READONLY)`) };
  }
  const onText = judgeText(formatted);
  if (onText !== undefined) return { refusal: onText };
  for (const { node, parent } of walk(ast, undefined)) {
    // The scope's filters already empty these tables (./scope.ts), also when named without
    // `system.` after USE system; refusing the qualified name too gives a clear answer and
    // spares the engine building tables such as system.stack_trace only to filter them out.
    const systemTable = node.kind === 'TableIdentifier' ? /^system\.(.+)$/.exec(node.detail)?.[1] : undefined;
    if (systemTable !== undefined && !READABLE_SYSTEM_TABLES.has(systemTable)) {
      return { refusal: sqlError('ACCESS_DENIED', `system.${systemTable} is not readable by a BI user: it shows other users' queries, the engine's state or data outside the user's scope. (ACCESS_DENIED)`) };
    }
    if (node.kind !== 'Function') continue;
    const name = node.detail.toLowerCase();
    if (parent?.kind === 'TableExpression' && !HARMLESS_TABLE_FUNCTIONS.has(name)) {
      return { refusal: sqlError('ACCESS_DENIED', `table function ${node.detail}() is not allowed for a BI user: only numbers, zeros, values, view, generateRandom, generate_series, null and format are. (ACCESS_DENIED)`) };
    }
    if (HOST_READING_FUNCTIONS.has(name)) {
      return { refusal: sqlError('ACCESS_DENIED', `function ${node.detail}() is not allowed for a BI user: it reads the host's files. (ACCESS_DENIED)`) };
    }
  }
  return { kind };
}

/**
 * The part of the verdict read from the rendering's text rather than its AST: made for every
 * rendering, also when a statement of the same shape was judged before (./statement-cache.ts).
 * @returns the refusal, or undefined when the text passes
 */
export function judgeText(formatted: string): SqlEndpointError | undefined {
  // formatQuery prints INTO OUTFILE as a clause of its own; a string that merely contains the
  // words is escaped in the rendering only when it holds a newline, so this may refuse such a
  // string too: a refusal, never a file.
  if (/\bINTO\s+OUTFILE\b/i.test(formatted)) {
    return sqlError('INTO_OUTFILE_NOT_ALLOWED', 'INTO OUTFILE is not allowed: the endpoint writes no file on its host. (INTO_OUTFILE_NOT_ALLOWED)');
  }
  return undefined;
}

/** The output format named by the statement's own FORMAT clause, if any (from formatQuery's rendering). */
export function formatClause(formatted: string): string | undefined {
  return /\nFORMAT (\w+)(?:\nSETTINGS [^\n]*)?\s*$/.exec(formatted)?.[1];
}
