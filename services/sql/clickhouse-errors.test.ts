import { SqlEndpointError } from './contract';
import { formatExceptionBody, fromEngineError, httpStatusOfCode, sqlError } from './clickhouse-errors';

describe('httpStatusOfCode', () => {
  it('gives the status a ClickHouse server answers for a code', () => {
    expect(httpStatusOfCode(194)).toBe(401); // REQUIRED_PASSWORD
    expect(httpStatusOfCode(516)).toBe(403); // AUTHENTICATION_FAILED
    expect(httpStatusOfCode(497)).toBe(403); // ACCESS_DENIED
    expect(httpStatusOfCode(62)).toBe(400); // SYNTAX_ERROR
    expect(httpStatusOfCode(60)).toBe(404); // UNKNOWN_TABLE
    expect(httpStatusOfCode(159)).toBe(408); // TIMEOUT_EXCEEDED
    expect(httpStatusOfCode(164)).toBe(500); // READONLY: a server answers 500
    expect(httpStatusOfCode(999_999)).toBe(500);
  });
});

describe('formatExceptionBody', () => {
  it('writes a refusal of the endpoint as a server does, with the code name', () => {
    expect(formatExceptionBody(sqlError('SYNTAX_ERROR', 'Empty query'))).toBe('Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)\n');
    expect(formatExceptionBody(sqlError('SESSION_NOT_FOUND', 'Session s1 not found.'), '26.7.2.1')).toBe('Code: 372. DB::Exception: Session s1 not found. (SESSION_NOT_FOUND) (version 26.7.2.1)\n');
  });

  it('keeps an engine message that already names its code', () => {
    const error = new SqlEndpointError(60, 404, "Unknown table expression identifier 'nope' in scope SELECT * FROM nope. (UNKNOWN_TABLE)");
    expect(formatExceptionBody(error)).toBe("Code: 60. DB::Exception: Unknown table expression identifier 'nope' in scope SELECT * FROM nope. (UNKNOWN_TABLE)\n");
  });

  it('leaves out the name of a code it does not know', () => {
    expect(formatExceptionBody(new SqlEndpointError(1001, 500, 'std::exception'))).toBe('Code: 1001. DB::Exception: std::exception\n');
  });
});

describe('fromEngineError', () => {
  it('reads the code and message of a chDB error (its message as the engine formats it)', () => {
    const chdb = Object.assign(new Error("Code: 81. DB::Exception: Database nowhere does not exist. (UNKNOWN_DATABASE)"), { clickhouseCode: 81 });
    const error = fromEngineError(chdb);
    expect([error.code, error.httpStatus, error.message]).toEqual([81, 404, 'Database nowhere does not exist. (UNKNOWN_DATABASE)']);
    expect(error.cause).toBe(chdb);
  });

  it('takes the code from the text when the error carries none, and LOGICAL_ERROR for anything else', () => {
    expect(fromEngineError(new Error('Code: 62. DB::Exception: Syntax error. (SYNTAX_ERROR)')).code).toBe(62);
    const odd = fromEngineError(new Error('socket hang up'));
    expect([odd.code, odd.httpStatus, odd.message]).toEqual([49, 500, 'socket hang up']);
  });
});
