/**
 * What a store's promotions tell the stock risk (pure, no I/O): a sku on promotion sells more
 * than its rolling rate says while the promotion runs, and a rate that learns those days as
 * ordinary demand stays inflated after it ends. The store system publishes each promotion on
 * pricing.promotions when it starts (its skus, discount and planned end) and when it ends, keyed
 * by store_id like the books, so the stock task of the store reads them in event-time order with
 * its sales.
 *
 * The uplift is learned here, never given: per store and category, log(uplift) = beta *
 * -log(1 - discount) (a constant price elasticity, the usual first model of a discount's effect),
 * beta fitted by Poisson maximum likelihood on what the promotions of the store sold against
 * what their skus' rates expected over the same hours. Each category's beta is shrunk toward the
 * store's (all categories pooled), and the store's toward 0 (no uplift), with a prior worth
 * UPLIFT_TUNING.priorUnits expected units: a store with no promotion behind it sees none.
 */
import type { PromotionChanged } from '../../schemas/generated/events';
import { DAY_MS } from '../../lib/domain/time';

export const UPLIFT_TUNING = {
  /** Prior precision of beta, as expected units at a 20% discount (x = -log 0.8): what a few promoted sku-days weigh. */
  priorUnits: 20,
  /** Ended promotions are kept this long after their end (ms), so a late sale line naming one still finds its discount. */
  keepEndedMs: 2 * DAY_MS,
} as const;

const X_REF = -Math.log(0.8);

// ── the store's promotions ──────────────────────────────────────────────────────────────

export interface PromotionSnapshot {
  readonly id: string;
  readonly skus: readonly string[];
  readonly discountPercent: number;
  readonly startsAt: number;
  readonly endsAt: number;
}

/** A span of a sku's promotion. */
export interface PromotionSpan {
  readonly id: string;
  readonly from: number;
  readonly to: number;
  readonly discountPercent: number;
}

/** The store's promotions as published: running and planned, and those ended in the last UPLIFT_TUNING.keepEndedMs. */
export class StorePromotionBook {
  private readonly byId = new Map<string, PromotionSnapshot>();
  private readonly bySku = new Map<string, Set<string>>();

  /** Applies a start or end; answers the skus whose promotions changed. */
  apply(e: Pick<PromotionChanged, 'promotion_id' | 'phase' | 'skus' | 'discount_percent' | 'starts_at' | 'ends_at' | 'occurred_at'>): readonly string[] {
    const known = this.byId.get(e.promotion_id);
    // An end cuts the promotion short where it came early; a start (or a repeat) states it whole.
    const endsAt = e.phase === 'ENDED' ? Math.min(known?.endsAt ?? e.ends_at, e.occurred_at) : e.ends_at;
    this.put({ id: e.promotion_id, skus: [...e.skus], discountPercent: e.discount_percent, startsAt: e.starts_at, endsAt });
    this.forgetBefore(e.occurred_at - UPLIFT_TUNING.keepEndedMs);
    return e.skus;
  }

  /** The discount of a promotion the book holds. */
  discountOf(id: string): number | undefined {
    return this.byId.get(id)?.discountPercent;
  }

  /** The sku's promotions overlapping [from, to), clipped to it. */
  spans(sku: string, from: number, to: number): PromotionSpan[] {
    const ids = this.bySku.get(sku);
    if (!ids) return [];
    const out: PromotionSpan[] = [];
    for (const id of ids) {
      const p = this.byId.get(id)!;
      const a = Math.max(from, p.startsAt);
      const z = Math.min(to, p.endsAt);
      if (z > a) out.push({ id, from: a, to: z, discountPercent: p.discountPercent });
    }
    return out;
  }

  /** The promotion of the sku running at `at`, if any. */
  runningAt(sku: string, at: number): PromotionSnapshot | undefined {
    for (const id of this.bySku.get(sku) ?? []) {
      const p = this.byId.get(id)!;
      if (p.startsAt <= at && at < p.endsAt) return p;
    }
    return undefined;
  }

  private put(p: PromotionSnapshot): void {
    this.byId.set(p.id, p);
    for (const sku of p.skus) (this.bySku.get(sku) ?? this.bySku.set(sku, new Set()).get(sku)!).add(p.id);
  }

  private forgetBefore(cutoff: number): void {
    for (const p of this.byId.values()) {
      if (p.endsAt >= cutoff) continue;
      this.byId.delete(p.id);
      for (const sku of p.skus) {
        const ids = this.bySku.get(sku)!;
        ids.delete(p.id);
        if (ids.size === 0) this.bySku.delete(sku);
      }
    }
  }

  toJSON(): PromotionSnapshot[] {
    return [...this.byId.values()];
  }

  static fromJSON(s: readonly PromotionSnapshot[] | undefined): StorePromotionBook {
    const book = new StorePromotionBook();
    for (const p of s ?? []) book.put(p);
    return book;
  }
}

// ── the uplift ──────────────────────────────────────────────────────────────────────────

/** x of a discount: -log(1 - discount), 0 for none. */
export function discountX(discountPercent: number): number {
  return discountPercent > 0 ? -Math.log(1 - Math.min(discountPercent, 95) / 100) : 0;
}

/** Evidence at one discount: units sold on promotion and units the rate expected over the same hours. */
interface Evidence {
  sold: number;
  expected: number;
}

export type UpliftSnapshot = Record<string, Record<string, Evidence>>;

/**
 * Solves sum_p x_p (sold_p - expected_p e^(beta x_p)) = k (beta - prior) for beta: the penalised
 * Poisson likelihood's score, decreasing in beta, by bisection (at most ~90 discounts). Pure.
 */
export function fitBeta(evidence: readonly (readonly [x: number, sold: number, expected: number])[], prior: number, k: number): number {
  const score = (b: number): number => {
    let s = -k * (b - prior);
    for (const [x, sold, expected] of evidence) s += x * (sold - expected * Math.exp(b * x));
    return s;
  };
  if (evidence.length === 0) return prior;
  let lo = -3;
  let hi = 8;
  if (score(lo) <= 0) return lo;
  if (score(hi) >= 0) return hi;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (score(mid) > 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The store's learned uplift per category (category '' for a sku without one). */
export class StoreUplift {
  /** category -> discount percent -> evidence. */
  private readonly evidence = new Map<string, Map<number, Evidence>>();
  private betas: Map<string, number> | undefined;
  private storeBeta = 0;

  /** `priorUnits`: the prior's weight (UPLIFT_TUNING.priorUnits; the tuning scripts vary it). */
  constructor(private readonly priorUnits: number = UPLIFT_TUNING.priorUnits) {}

  /** A promotion of a sku of `category` at `discountPercent` sold `sold` units where its rate expected `expected`. */
  observe(category: string, discountPercent: number, sold: number, expected: number): void {
    if (!(expected > 0) || !(discountPercent > 0)) return;
    const byDiscount = this.evidence.get(category) ?? this.evidence.set(category, new Map()).get(category)!;
    const e = byDiscount.get(discountPercent) ?? byDiscount.set(discountPercent, { sold: 0, expected: 0 }).get(discountPercent)!;
    e.sold += sold;
    e.expected += expected;
    this.betas = undefined;
  }

  /** Demand multiplier of a sku of `category` at `discountPercent`. */
  uplift(category: string, discountPercent: number): number {
    if (!(discountPercent > 0)) return 1;
    if (!this.betas) this.fit();
    const beta = this.betas!.get(category) ?? this.storeBeta;
    return Math.exp(beta * discountX(discountPercent));
  }

  private fit(): void {
    const k = this.priorUnits * X_REF * X_REF;
    const rows = (m: Map<number, Evidence>): [number, number, number][] => [...m].map(([d, e]) => [discountX(d), e.sold, e.expected]);
    const all = [...this.evidence.values()].flatMap(rows);
    this.storeBeta = fitBeta(all, 0, k);
    this.betas = new Map([...this.evidence].map(([category, m]) => [category, fitBeta(rows(m), this.storeBeta, k)]));
  }

  toJSON(): UpliftSnapshot {
    return Object.fromEntries([...this.evidence].map(([c, m]) => [c, Object.fromEntries([...m].map(([d, e]) => [String(d), { ...e }]))]));
  }

  static fromJSON(s: UpliftSnapshot | undefined, priorUnits?: number): StoreUplift {
    const u = new StoreUplift(priorUnits);
    for (const [c, m] of Object.entries(s ?? {})) for (const [d, e] of Object.entries(m)) u.observe(c, Number(d), e.sold, e.expected);
    return u;
  }
}
