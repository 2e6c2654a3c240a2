/**
 * The simulator's store clock: the chain's store clock (lib/domain/time-zones.ts) restricted to
 * zones whose offset is a whole number of hours, since the simulator steps in UTC hours that must
 * also be whole local hours.
 */
import { StoreClock } from '../../lib/domain/time-zones';
import { ShelfStreamError } from '../../lib/errors';

export class WholeHourStoreClock extends StoreClock {
  protected override checkOffset(offsetMinutes: number): void {
    if (offsetMinutes % 60 !== 0) {
      throw new ShelfStreamError('CONFIG_INVALID', `time zone ${this.timeZone} is ${offsetMinutes} minutes from UTC: only whole-hour offsets are supported`);
    }
  }
}
