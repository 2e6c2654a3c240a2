/**
 * A store's promotions: each morning a chance to start one on a few SKUs of the catalogue (at
 * most MAX_ACTIVE_PROMOTIONS at a time), ended at the top of the hour after it runs out, each
 * start and end published on pricing.promotions. While one runs, its SKUs sell at a discount
 * and their demand carries the category's promotion uplift.
 */
import type { PromotionChanged } from '../../schemas/generated/events';
import { HOUR_MS } from './calendar';
import { promotionUplift } from './demand';
import type { HourEvents } from './hour-events';
import type { StoreState } from './store-state';

/** Each morning a new promotion starts with this chance while fewer than the maximum run. */
const PROMOTION_START_CHANCE = 0.3;
const MAX_ACTIVE_PROMOTIONS = 2;
const PROMOTION_SHARE = 0.02; // of the catalogue per promotion
const PROMOTION_PERCENTS = [10, 15, 20, 25, 30, 40] as const;
const PROMOTION_DAYS = [3, 10] as const;

interface Promotion {
  readonly id: string;
  readonly skus: readonly number[];
  readonly percent: number;
  readonly startsAt: number;
  readonly endsAt: number;
}

export class StorePromotions {
  private promotions: Promotion[] = [];
  private promotionSeq = 0;

  constructor(private readonly s: StoreState) {}

  /** The morning's chance of a new promotion, starting at `at`. */
  maybeStart(at: number, events: HourEvents): void {
    if (this.promotions.length < MAX_ACTIVE_PROMOTIONS && this.s.promotionRng.chance(PROMOTION_START_CHANCE)) this.start(at, events);
  }

  /** Ends the promotions over before the end of the hour starting at `hourStart`. */
  endDue(hourStart: number, events: HourEvents): void {
    if (this.promotions.length === 0) return;
    const s = this.s;
    const hourEnd = hourStart + HOUR_MS;
    const still: Promotion[] = [];
    for (const p of this.promotions) {
      if (p.endsAt >= hourEnd) {
        still.push(p);
        continue;
      }
      for (const j of p.skus) {
        s.uplift[j] = 1;
        s.promoPercent[j] = 0;
        s.promoId[j] = null;
      }
      events['pricing.promotions'].push(this.event(p, 'ENDED', Math.max(p.endsAt, hourStart)));
    }
    this.promotions = still;
  }

  private start(at: number, events: HourEvents): void {
    const s = this.s;
    const rng = s.promotionRng;
    const wanted = Math.max(1, Math.round(s.n * PROMOTION_SHARE));
    const skus: number[] = [];
    for (let attempt = 0; attempt < wanted * 4 && skus.length < wanted; attempt++) {
      const j = rng.below(s.n);
      if (s.promoPercent[j] === 0 && !skus.includes(j)) skus.push(j);
    }
    if (skus.length === 0) return;
    skus.sort((a, b) => a - b);
    const percent = rng.pick(PROMOTION_PERCENTS);
    const promotion: Promotion = {
      id: `${s.storeId}-PR${String(++this.promotionSeq).padStart(4, '0')}`,
      skus,
      percent,
      startsAt: at,
      endsAt: at + rng.intBetween(PROMOTION_DAYS[0], PROMOTION_DAYS[1]) * 24 * HOUR_MS,
    };
    for (const j of skus) {
      s.promoPercent[j] = percent;
      s.promoId[j] = promotion.id;
      s.uplift[j] = promotionUplift(percent, s.chain.products[j]!.category.elasticity);
    }
    this.promotions.push(promotion);
    events['pricing.promotions'].push(this.event(promotion, 'STARTED', at));
  }

  private event(p: Promotion, phase: 'STARTED' | 'ENDED', at: number): PromotionChanged {
    const products = this.s.chain.products;
    return {
      event_id: this.s.promotionRng.uuid(),
      occurred_at: at,
      store_id: this.s.storeId,
      promotion_id: p.id,
      phase,
      skus: p.skus.map((j) => products[j]!.product.sku),
      discount_percent: p.percent,
      starts_at: p.startsAt,
      ends_at: p.endsAt,
    };
  }
}
