import { cookieValue, createSessionStore, csrfTokenMatches, sameOrigin, sessionCookie } from './sign-in';

describe('web sign-in', () => {
  it('ends a session unused for the TTL, and pushes the end back on each use', () => {
    let t = 0;
    const store = createSessionStore({ ttlMs: 1_000, now: () => t });
    const s = store.create({ user: 'ana', password: 'pw' });
    t = 900;
    expect(store.find(s.id)?.credentials.user).toBe('ana');
    t = 1_800; // 900 after the last use
    expect(store.find(s.id)).toBeDefined();
    t = 2_900;
    expect(store.find(s.id)).toBeUndefined();
    expect(store.find('nope')).toBeUndefined();
  });

  it('sets an HttpOnly SameSite=Strict cookie and reads it back among others', () => {
    expect(sessionCookie('abc', 60)).toBe('shelfstream_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60');
    expect(cookieValue('theme=dark; shelfstream_session=abc; x=1', 'shelfstream_session')).toBe('abc');
    expect(cookieValue(undefined, 'shelfstream_session')).toBeUndefined();
  });

  it('accepts a POST only with the session\'s CSRF token, and not from another origin', () => {
    const s = createSessionStore({ ttlMs: 1_000 }).create({ user: 'ana', password: 'pw' });
    expect(csrfTokenMatches(s, s.csrfToken)).toBe(true);
    expect(csrfTokenMatches(s, `${s.csrfToken}x`)).toBe(false);
    expect(csrfTokenMatches(s, undefined)).toBe(false);
    expect(sameOrigin({ origin: 'http://127.0.0.1:8087', host: '127.0.0.1:8087' })).toBe(true);
    expect(sameOrigin({ origin: 'https://evil.example', host: '127.0.0.1:8087' })).toBe(false);
    expect(sameOrigin({ referer: 'http://127.0.0.1:8087/executive', host: '127.0.0.1:8087' })).toBe(true);
  });
});
