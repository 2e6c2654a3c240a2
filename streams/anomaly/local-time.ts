/**
 * A store's wall clock, for hour-of-week baselines: demand follows local time (opening hours,
 * the lunch and after-work peaks), so a slot must be a local hour. In UTC, a daylight-saving
 * change would move every slot of a store by an hour overnight and the baselines would judge
 * each hour against its neighbour's history for weeks.
 */
import { HOUR_MS } from './tuning';

/** Zone used for a store with no time zone in md.stores (none after the master-data barrier). */
export const FALLBACK_TIME_ZONE = 'UTC';

export class LocalClock {
  /** UTC offset in minutes per UTC hour: Intl is slow (microseconds a call), hours repeat. */
  private readonly offsets = new Map<number, number>();
  private readonly format: Intl.DateTimeFormat;
  readonly timeZone: string;

  /** An unknown zone name falls back to UTC (`timeZone` says which was used). */
  constructor(timeZone: string) {
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    } catch {
      timeZone = FALLBACK_TIME_ZONE;
      format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    }
    this.timeZone = timeZone;
    this.format = format;
  }

  /** Minutes to add to UTC to get the local time, at the UTC hour holding `ms`. */
  offsetMinutes(ms: number): number {
    const hour = Math.floor(ms / HOUR_MS);
    let offset = this.offsets.get(hour);
    if (offset === undefined) {
      const at = hour * HOUR_MS;
      const parts = this.format.formatToParts(at);
      const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
      const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
      offset = Math.round((wall - at) / 60_000);
      if (this.offsets.size > 10_000) this.offsets.clear(); // a year of hours: bounded memory
      this.offsets.set(hour, offset);
    }
    return offset;
  }

  /** The local wall time of `ms`, as epoch ms read as if it were UTC. */
  local(ms: number): number {
    return ms + this.offsetMinutes(ms) * 60_000;
  }
}
