/**
 * The demand model against cases computed by hand from the documented tables
 * (simulators/README.md): the numbers below are typed in from the tables, not read from code.
 */
import { parseDay } from '../../lib/domain/calendar';
import { CATEGORIES, type Chain, type ProductProfile, SIZE_CLASSES, type StoreProfile } from './chain';
import { REGIONS } from '../../lib/domain/regions';
import { DemandModel, openFraction, promotionUplift } from './demand';

const region = (name: string) => REGIONS.find((r) => r.region === name)!;
const categoryIndex = (name: string) => CATEGORIES.findIndex((c) => c.name === name);

function store(regionName: string, factor: number, opens: number, closes: number): StoreProfile {
  const r = region(regionName);
  return {
    index: 0,
    region: r,
    size: SIZE_CLASSES.find((s) => s.sizeClass === 'MEDIUM')!,
    factor,
    terminals: ['T01'],
    opening: Array.from({ length: 7 }, () => ({ opens, closes })),
    store: { store_id: 'S001', name: 'test', region: r.region, time_zone: r.timeZone, opening_hours: [], size_class: 'MEDIUM', currency: r.currency, opened_on: 0, vat_rate: r.vatRate, holiday_calendar: null, updated_at: 0 },
  };
}

function product(category: string, baseRate: number): ProductProfile {
  const index = categoryIndex(category);
  return {
    index: 0,
    category: CATEGORIES[index]!,
    categoryIndex: index,
    baseRate,
    casePack: 6,
    product: { sku: 'SKU000001', name: 'test', category, brand: 'test', unit_cost: 100, price: 199, currency: 'EUR', perishable: false, shelf_life_days: null, updated_at: 0 },
  };
}

const season = (amplitude: number, peak: number, dayOfYear: number): number => 1 + amplitude * Math.cos((2 * Math.PI * (dayOfYear - peak)) / 365.25);

describe('demand model', () => {
  const dubai = store('United Arab Emirates', 1.2, 480, 1380); // 08:00-23:00 every day
  const paris = store('France', 0.9, 510, 1260);
  const sweets = product('Confectionery', 0.5);
  const model = new DemandModel({ stores: [dubai, paris], products: [sweets], categories: CATEGORIES } as Chain);

  it('multiplies one category by a demand shift from its first day on, and nothing else', () => {
    const shifted = new DemandModel({ stores: [dubai, paris], products: [sweets], categories: CATEGORIES } as Chain, { category: 'Confectionery', fromDay: parseDay('2026-04-17'), factor: 1.4 });
    const at = (m: DemandModel, iso: string) => m.factors(dubai, sweets, Date.parse(iso)).mean;
    expect(at(shifted, '2026-04-16T14:00:00Z')).toBe(at(model, '2026-04-16T14:00:00Z')); // the day before: unchanged
    expect(at(shifted, '2026-04-17T14:00:00Z')).toBeCloseTo(1.4 * at(model, '2026-04-17T14:00:00Z'), 12);
    const dairy = shifted.categoryFactors('muslim', parseDay('2026-04-17'))[categoryIndex('Dairy')];
    expect(dairy).toBe(model.categoryFactors('muslim', parseDay('2026-04-17'))[categoryIndex('Dairy')]);
  });

  it('computes a Dubai store at 18:00 on Eid al-Fitr and on an ordinary Friday', () => {
    // 14:00 UTC is 18:00 in Dubai (UTC+4). Confectionery: seasonality amplitude 0.1, peak day 350.
    // Friday in the UAE: 1.1. Hour 18 (ordinary profile): 1.5. Eid al-Fitr (muslim culture): 0.6.
    const eid = model.factors(dubai, sweets, Date.parse('2026-03-20T14:00:00Z'));
    const eidByHand = 0.5 * 1.2 * season(0.1, 350, 79) * 1.1 * 1.5 * 0.6; // 20 March is day 79
    expect(eid.holiday).toBe(0.6);
    expect(eid.dayOfWeek).toBe(1.1);
    expect(eid.hourOfDay).toBe(1.5);
    expect(eid.mean).toBeCloseTo(eidByHand, 12);

    const ordinary = model.factors(dubai, sweets, Date.parse('2026-04-17T14:00:00Z'));
    const ordinaryByHand = 0.5 * 1.2 * season(0.1, 350, 107) * 1.1 * 1.5 * 1; // 17 April is day 107
    expect(ordinary.holiday).toBe(1);
    expect(ordinary.mean).toBeCloseTo(ordinaryByHand, 12);
    expect(eid.mean / ordinary.mean).toBeCloseTo((0.6 * season(0.1, 350, 79)) / season(0.1, 350, 107), 12);
  });

  it('computes the eve of Eid: Ramadan hours and two holiday effects multiplied', () => {
    // Thursday 19 March 2026, 18:00 Dubai: Ramadan hour profile at 18 = 1.2, Thursday = 1.0,
    // Ramadan x Eid preparations for Confectionery = 1.35 x 2.2.
    const eve = model.factors(dubai, sweets, Date.parse('2026-03-19T14:00:00Z'));
    expect(eve.hourOfDay).toBe(1.2);
    expect(eve.mean).toBeCloseTo(0.5 * 1.2 * season(0.1, 350, 78) * 1.0 * 1.2 * (1.35 * 2.2), 12);
  });

  it('applies the promotion uplift and the open fraction, and nothing while closed', () => {
    // 20% off for Confectionery (elasticity 2.8): 0.8^-2.8.
    expect(promotionUplift(20, 2.8)).toBeCloseTo(Math.pow(0.8, -2.8), 12);
    const promoted = model.factors(dubai, sweets, Date.parse('2026-04-17T14:00:00Z'), 20);
    const plain = model.factors(dubai, sweets, Date.parse('2026-04-17T14:00:00Z'));
    expect(promoted.mean / plain.mean).toBeCloseTo(Math.pow(0.8, -2.8), 12);
    // Paris opens at 08:30: the 08:00-09:00 local hour is half open (07:00 UTC in winter).
    expect(openFraction(8, 510, 1260)).toBe(0.5);
    expect(model.factors(paris, sweets, Date.parse('2026-01-16T07:00:00Z')).openFraction).toBe(0.5);
    // Christmas Day: western stores close.
    expect(model.factors(paris, sweets, Date.parse('2026-12-25T11:00:00Z')).mean).toBe(0);
    // Before opening, nothing.
    expect(model.factors(paris, sweets, Date.parse('2026-01-16T05:00:00Z')).mean).toBe(0);
  });

  it('uses local time across daylight saving time', () => {
    // 16:00 UTC is 17:00 in Paris before 29 March 2026 and 18:00 after.
    expect(model.hour(paris, Date.parse('2026-03-27T16:00:00Z')).localHour).toBe(17);
    expect(model.hour(paris, Date.parse('2026-03-30T16:00:00Z')).localHour).toBe(18);
    expect(model.hour(paris, Date.parse('2026-03-30T16:00:00Z')).localDay).toBe(parseDay('2026-03-30'));
  });
});
