/**
 * A store's wall clock. Events carry UTC epoch milliseconds; demand, opening hours, holidays
 * and business days follow the store's local time in its IANA zone (lib/domain/regions.ts),
 * daylight saving time included (and oddities such as Morocco moving to UTC+0 during Ramadan).
 * Intl is slow (microseconds per call), so the UTC offset is computed once per UTC hour and
 * cached.
 */
import { ShelfStreamError } from '../errors';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './time';

export class StoreClock {
  private readonly offsets = new Map<number, number>();
  private readonly format: Intl.DateTimeFormat;

  constructor(readonly timeZone: string) {
    try {
      this.format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (error) {
      throw new ShelfStreamError('CONFIG_INVALID', `unknown IANA time zone ${JSON.stringify(timeZone)}`, { cause: error });
    }
  }

  /** Minutes to add to UTC to get local time, at the start of the UTC hour holding `ms`. */
  offsetMinutes(ms: number): number {
    const hour = Math.floor(ms / HOUR_MS);
    let offset = this.offsets.get(hour);
    if (offset === undefined) {
      offset = this.computeOffset(hour * HOUR_MS);
      this.checkOffset(offset);
      this.offsets.set(hour, offset);
    }
    return offset;
  }

  /** Local time of `ms` as if it were UTC (so /DAY_MS gives the local day number). */
  local(ms: number): number {
    return ms + this.offsetMinutes(ms) * MINUTE_MS;
  }

  /** The local day (days since 1970-01-01) that holds the instant `ms`. */
  localDay(ms: number): number {
    return Math.floor(this.local(ms) / DAY_MS);
  }

  /**
   * The UTC instant of local wall-clock minute `minute` of local day `day` (e.g. a store's morning
   * routine), computed as localMidnight is: from the offset at a first guess of the instant.
   */
  utcOf(day: number, minute: number): number {
    const wall = day * DAY_MS + minute * MINUTE_MS;
    return wall - this.offsetMinutes(wall - this.offsetMinutes(wall) * MINUTE_MS) * MINUTE_MS;
  }

  /** The UTC instant at which local day `day` begins. */
  localMidnight(day: number): number {
    const wall = day * DAY_MS;
    let utc = wall - this.computeOffset(wall) * MINUTE_MS;
    utc = wall - this.computeOffset(utc) * MINUTE_MS;
    return utc;
  }

  /** Called once per UTC hour with its offset: a clock that supports fewer zones refuses here. */
  protected checkOffset(_offsetMinutes: number): void {}

  private computeOffset(ms: number): number {
    const parts = this.format.formatToParts(ms);
    const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
    const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / MINUTE_MS);
  }
}
