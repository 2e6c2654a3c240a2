/**
 * Holiday lookups as the demand model uses them: the chain's holiday rules (lib/domain/calendar.ts)
 * folded into one multiplier per category and cached per day, since the hot path asks millions
 * of times.
 */
import { type Culture, RAMADAN, holidayEffects } from '../../lib/domain/calendar';

/** A day as the demand model sees it: one multiplier per category, and whether stores open. */
export interface HolidayDay {
  readonly names: readonly string[];
  readonly closed: boolean;
  readonly ramadan: boolean;
  /** Multiplier per category index (the order of the catalogue's categories). */
  readonly categoryFactors: Float64Array;
}

/** Holiday lookups per culture, computed once per day and cached. */
export class HolidayCalendar {
  private readonly cache = new Map<number, HolidayDay>();

  constructor(
    readonly culture: Culture,
    private readonly categories: readonly string[],
  ) {}

  day(day: number): HolidayDay {
    let found = this.cache.get(day);
    if (!found) {
      const effects = holidayEffects(this.culture, day);
      const categoryFactors = new Float64Array(this.categories.length).fill(1);
      for (const effect of effects) {
        this.categories.forEach((c, i) => {
          categoryFactors[i] = categoryFactors[i]! * (effect.categories?.[c] ?? effect.factor);
        });
      }
      found = {
        names: effects.map((e) => e.name),
        closed: effects.some((e) => e.closed === true),
        ramadan: effects.some((e) => e.name === RAMADAN),
        categoryFactors,
      };
      this.cache.set(day, found);
    }
    return found;
  }
}

// store-sim.ts (being split on another branch) still imports these from here; new code imports
// lib/domain/calendar and lib/domain/time. Remove once that split has landed.
export { formatDay } from '../../lib/domain/calendar';
export { HOUR_MS, MINUTE_MS } from '../../lib/domain/time';
