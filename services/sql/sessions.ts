/**
 * SQL sessions (`session_id`): the USE/SET state a client built, kept between its requests,
 * one query at a time, dropped after its idle timeout, as a ClickHouse server keeps them.
 *
 * Only the state is kept, not a connection: a BI query's connection is locked read-only and
 * cannot take a later SET, so each query of a session opens its own connection and the
 * session's database and settings are applied to it before the lock (./bi-connection.ts).
 * Sessions are keyed by user and id, so one user cannot step into another's session.
 */
import { sqlError } from './clickhouse-errors';

export interface SessionState {
  readonly database: string | undefined;
  readonly settings: Readonly<Record<string, string>>;
}

export interface SessionLease {
  readonly state: SessionState;
  /** Keeps what a USE or SET changed, for the session's next queries. */
  update(state: SessionState): void;
  /** Ends this query's hold on the session; its idle timeout starts now. */
  release(): void;
}

export interface SqlSessions {
  /** Takes the session for one query, creating it if new or expired; refuses (373) while another query holds it. */
  acquire(user: string, sessionId: string, timeoutS: number): SessionLease;
  readonly size: number;
  close(): void;
}

/** A server's max_session_timeout default: a client may not ask for a longer one. */
export const MAX_SESSION_TIMEOUT_S = 3_600;

interface Entry {
  state: SessionState;
  busy: boolean;
  timeoutMs: number;
  lastUsedMs: number;
}

export function createSqlSessions(nowMs: () => number = Date.now, sweepIntervalMs = 10_000): SqlSessions {
  const sessions = new Map<string, Entry>();
  const sweep = (): void => {
    const now = nowMs();
    for (const [key, e] of sessions) if (!e.busy && now - e.lastUsedMs >= e.timeoutMs) sessions.delete(key);
  };
  const timer = setInterval(sweep, sweepIntervalMs);
  timer.unref();

  return {
    acquire(user, sessionId, timeoutS) {
      if (timeoutS > MAX_SESSION_TIMEOUT_S) {
        throw sqlError('BAD_ARGUMENTS', `Session timeout ${timeoutS} is larger than max_session_timeout: ${MAX_SESSION_TIMEOUT_S}. (BAD_ARGUMENTS)`);
      }
      sweep();
      const key = `${user}\0${sessionId}`;
      let entry = sessions.get(key);
      if (entry?.busy) {
        throw sqlError('SESSION_IS_LOCKED', `Session ${sessionId} is locked by a concurrent client. (SESSION_IS_LOCKED)`);
      }
      if (!entry) {
        entry = { state: { database: undefined, settings: {} }, busy: false, timeoutMs: timeoutS * 1000, lastUsedMs: nowMs() };
        sessions.set(key, entry);
      }
      const held = entry;
      held.busy = true;
      held.timeoutMs = timeoutS * 1000;
      let released = false;
      return {
        state: held.state,
        update(state) {
          held.state = state;
        },
        release() {
          if (released) return;
          released = true;
          held.busy = false;
          held.lastUsedMs = nowMs();
        },
      };
    },
    get size() {
      return sessions.size;
    },
    close() {
      clearInterval(timer);
      sessions.clear();
    },
  };
}
