/**
 * When a sku was on promotion: the changes of its lines between promotion and regular price, in
 * time order (an hour on promotion is not judged against the baseline). Kept by time, not as
 * "the last line read", because an hour may be judged after later sales were read.
 */

/** Whether the last line at or before `t` was on promotion (false before any). */
export function promotionAt(changes: readonly (readonly [number, boolean])[], t: number): boolean {
  let on = false;
  for (const [at, promo] of changes) {
    if (at > t) break;
    on = promo;
  }
  return on;
}

/** Records a line's promotion flag at `at` where it changes the state (lines may be slightly out of order). */
export function notePromotion(changes: [number, boolean][], at: number, promo: boolean): void {
  const last = changes[changes.length - 1];
  if (!last || at >= last[0]) {
    if ((last?.[1] ?? false) !== promo) changes.push([at, promo]);
    return;
  }
  let i = changes.length;
  while (i > 0 && changes[i - 1]![0] > at) i--;
  changes.splice(i, 0, [at, promo]);
}

/** Drops changes before `cutoff`, keeping the one in force at the cutoff. */
export function forgetPromotionsBefore(changes: [number, boolean][], cutoff: number): void {
  let i = 0;
  while (i + 1 < changes.length && changes[i + 1]![0] <= cutoff) i++;
  if (i > 0) changes.splice(0, i);
}

