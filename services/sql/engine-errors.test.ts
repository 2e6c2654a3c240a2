import { fromEngineError, httpStatusForCode } from './engine-errors';
import { SqlEndpointError } from './contract';

describe('httpStatusForCode (as ClickHouse 26.x exceptionCodeToHTTPStatus)', () => {
  it('answers 403 for a wrong password or unknown user, 401 only without a password', () => {
    expect(httpStatusForCode(516)).toBe(403);
    expect(httpStatusForCode(192)).toBe(403);
    expect(httpStatusForCode(497)).toBe(403);
    expect(httpStatusForCode(194)).toBe(401);
  });
  it('maps parse errors to 400, unknown objects to 404, timeouts to 408, and the rest to 500', () => {
    expect(httpStatusForCode(62)).toBe(400);
    expect(httpStatusForCode(60)).toBe(404);
    expect(httpStatusForCode(115)).toBe(404);
    expect(httpStatusForCode(159)).toBe(408);
    expect(httpStatusForCode(164)).toBe(500);
    expect(httpStatusForCode(396)).toBe(500);
  });
});

describe('fromEngineError', () => {
  it('reads the code and keeps the engine message without chDB\'s prefix', () => {
    const e = fromEngineError(new Error('Query failed: Code: 60. DB::Exception: Unknown table expression identifier \'x\' in scope SELECT * FROM x. (UNKNOWN_TABLE)'));
    expect(e).toBeInstanceOf(SqlEndpointError);
    expect([e.code, e.httpStatus]).toEqual([60, 404]);
    expect(e.message).toBe("Unknown table expression identifier 'x' in scope SELECT * FROM x. (UNKNOWN_TABLE)");
  });
  it('unwraps the doubled message of a failed SETTINGS clause', () => {
    const e = fromEngineError(
      new Error("Query failed: Code: 164. DB::Exception: Code: 164. DB::Exception: Cannot modify 'max_threads' setting in readonly mode. (READONLY) (version 26.7.2.1). (READONLY)"),
    );
    expect(e.code).toBe(164);
    expect(e.message).toBe("Cannot modify 'max_threads' setting in readonly mode. (READONLY)");
  });
  it('keeps an error that is not the engine\'s as UNKNOWN_EXCEPTION', () => {
    const e = fromEngineError(new Error('Session closed'));
    expect([e.code, e.httpStatus, e.message]).toEqual([1002, 500, 'Session closed']);
  });
});
