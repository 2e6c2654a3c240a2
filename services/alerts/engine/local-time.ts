/**
 * Store-local wall-clock times (digests at 07:00, quiet hours 22:00-06:00) from UTC instants,
 * with the IANA zone of the store's master data. Daylight-saving changes are handled by
 * Intl: a local time that does not exist on a spring-forward day is taken an hour later.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface LocalParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

export function localParts(at: number, timeZone: string): LocalParts {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute) };
}

export function localDate(at: number, timeZone: string): string {
  const p = localParts(at, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

function offsetAt(at: number, timeZone: string): number {
  const p = localParts(at, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - Math.floor(at / 60_000) * 60_000;
}

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** The first instant strictly after `after` when the store's clock shows `hhmm`. */
export function nextLocalTime(after: number, timeZone: string, hhmm: string): number {
  const today = localParts(after, timeZone);
  const minutes = minutesOf(hhmm);
  for (let dayOffset = 0; dayOffset <= 2; dayOffset++) {
    const wallAsUtc = Date.UTC(today.year, today.month - 1, today.day + dayOffset, Math.floor(minutes / 60), minutes % 60);
    let instant = wallAsUtc - offsetAt(wallAsUtc, timeZone);
    instant = wallAsUtc - offsetAt(instant, timeZone);
    if (instant > after) return instant;
  }
  throw new Error(`no ${hhmm} in ${timeZone} after ${new Date(after).toISOString()}`);
}

/** Whether the store's clock is inside [start, end), a span that may wrap past midnight. */
export function inLocalSpan(at: number, timeZone: string, start: string, end: string): boolean {
  const p = localParts(at, timeZone);
  const now = p.hour * 60 + p.minute;
  const [s, e] = [minutesOf(start), minutesOf(end)];
  return s < e ? now >= s && now < e : now >= s || now < e;
}
