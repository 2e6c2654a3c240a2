import { createSqlSessions } from './sessions';

describe('SQL sessions', () => {
  it('keeps state between queries, one query at a time, and forgets it after the idle timeout', () => {
    let now = 0;
    const sessions = createSqlSessions(() => now, 60_000);
    try {
      const a = sessions.acquire('ana', 's1', 10);
      a.update({ database: 'shop', settings: { x: '1' } });
      expect(() => sessions.acquire('ana', 's1', 10)).toThrow(expect.objectContaining({ code: 373 }));
      a.release();
      now = 9_999;
      const b = sessions.acquire('ana', 's1', 10);
      expect(b.state).toEqual({ database: 'shop', settings: { x: '1' } });
      b.release();
      now = 9_999 + 10_000;
      const c = sessions.acquire('ana', 's1', 10);
      expect(c.state).toEqual({ database: undefined, settings: {} });
      c.release();
    } finally {
      sessions.close();
    }
  });
  it('keys sessions by user, so one user cannot step into another\'s', () => {
    const sessions = createSqlSessions();
    try {
      const a = sessions.acquire('ana', 's1', 10);
      a.update({ database: 'shop', settings: {} });
      a.release();
      expect(sessions.acquire('bob', 's1', 10).state.database).toBeUndefined();
    } finally {
      sessions.close();
    }
  });
  it('refuses a timeout above max_session_timeout', () => {
    const sessions = createSqlSessions();
    try {
      expect(() => sessions.acquire('ana', 's', 3_601)).toThrow(expect.objectContaining({ code: 36 }));
    } finally {
      sessions.close();
    }
  });
});
