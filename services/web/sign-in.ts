/**
 * Who is looking: a BI user (services/sql/bi-users.ts) signs in with the password they use for
 * the SQL endpoint; the web app keeps a session for them in this process's memory.
 *
 * - The session id is 32 random bytes in an HttpOnly, SameSite=Strict cookie: scripts cannot
 *   read it, and other sites' pages do not send it.
 * - Every state-changing request (POST) must also carry the session's CSRF token in a header
 *   (`X-CSRF-Token`), which only the app's own pages learn (from /api/me), and come from the
 *   app's own origin when the browser says where it comes from.
 * - The password is kept with the session, in memory only, because every query runs through the
 *   BI endpoint as that user (./bi-reader.ts); it is never written anywhere nor sent back.
 * - A session unused for WEB_SESSION_TTL_S ends; signing out ends it at once.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { SqlCredentials } from '../sql/contract';

export const SESSION_COOKIE = 'shelfstream_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface WebSession {
  readonly id: string;
  readonly csrfToken: string;
  readonly credentials: SqlCredentials;
  expiresAt: number;
}

export interface SessionStore {
  create(credentials: SqlCredentials): WebSession;
  /** The live session of a cookie value, its expiry pushed back; undefined when unknown or expired. */
  find(id: string | undefined): WebSession | undefined;
  end(id: string): void;
  readonly size: number;
}

export function createSessionStore(options: { ttlMs: number; now?: () => number }): SessionStore {
  const now = options.now ?? Date.now;
  const sessions = new Map<string, WebSession>();
  const sweep = (): void => {
    const t = now();
    for (const [id, s] of sessions) if (s.expiresAt <= t) sessions.delete(id);
  };
  return {
    create(credentials) {
      sweep();
      const session: WebSession = { id: randomBytes(32).toString('base64url'), csrfToken: randomBytes(32).toString('base64url'), credentials, expiresAt: now() + options.ttlMs };
      sessions.set(session.id, session);
      return session;
    },
    find(id) {
      if (id === undefined) return undefined;
      const session = sessions.get(id);
      if (!session) return undefined;
      if (session.expiresAt <= now()) {
        sessions.delete(id);
        return undefined;
      }
      session.expiresAt = now() + options.ttlMs;
      return session;
    },
    end(id) {
      sessions.delete(id);
    },
    get size() {
      return sessions.size;
    },
  };
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sessionCookie(id: string, maxAgeS: number): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
}

/** True when the header holds the session's token (compared in constant time). */
export function csrfTokenMatches(session: WebSession, sent: string | undefined): boolean {
  if (sent === undefined) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A POST is refused when the browser says it comes from another origin (Origin, else Referer);
 * a request that names none (a script with the token) is judged by the token alone.
 */
export function sameOrigin(headers: { origin?: string | undefined; referer?: string | undefined; host?: string | undefined }): boolean {
  const from = headers.origin ?? headers.referer;
  if (from === undefined || headers.host === undefined) return true;
  try {
    return new URL(from).host === headers.host;
  } catch {
    return false;
  }
}
