/**
 * The retail chain being simulated: stores (in the regions of lib/domain/regions.ts, with a
 * size class and opening hours) and the catalogue (categories, brands, products with prices and costs in integer
 * minor units). Everything is drawn from the seed; store i and product j each have their own
 * stream, so a chain of 10 stores is the first 10 stores of a chain of 50.
 *
 * The tables below are the model's documented inputs (simulators/README.md repeats them).
 */
import type { Product, Store, StoreSizeClass } from '../../schemas/generated/events';
import { daysFromCivil } from '../../lib/domain/calendar';
import { type OpeningWindow, type RegionProfile, REGIONS } from '../../lib/domain/regions';
import { Rng } from './random';

const w = (opens: number, closes: number): OpeningWindow => ({ opens, closes });

// ── store formats ────────────────────────────────────────────────────────────────────────

export interface SizeClassProfile {
  readonly sizeClass: StoreSizeClass;
  /** Demand multiplier against a MEDIUM store. */
  readonly factor: number;
  readonly terminals: number;
  /** Mean lines per basket. */
  readonly basketLines: number;
  /** Share of the chain's stores. */
  readonly share: number;
  /** Minutes opened earlier / closed later than the region's usual hours. */
  readonly earlier: number;
  readonly later: number;
  /** Convenience stores open on Sundays even where supermarkets do not (10:00-18:00). */
  readonly opensSundays: boolean;
}

export const SIZE_CLASSES: readonly SizeClassProfile[] = [
  { sizeClass: 'EXPRESS', factor: 0.4, terminals: 2, basketLines: 2.2, share: 0.25, earlier: 60, later: 60, opensSundays: true },
  { sizeClass: 'SMALL', factor: 0.7, terminals: 3, basketLines: 3, share: 0.25, earlier: 0, later: 0, opensSundays: false },
  { sizeClass: 'MEDIUM', factor: 1, terminals: 5, basketLines: 3.8, share: 0.28, earlier: 0, later: 0, opensSundays: false },
  { sizeClass: 'LARGE', factor: 1.6, terminals: 8, basketLines: 4.8, share: 0.15, earlier: 0, later: 0, opensSundays: false },
  { sizeClass: 'HYPERMARKET', factor: 2.5, terminals: 12, basketLines: 6, share: 0.07, earlier: 0, later: 60, opensSundays: false },
];

/** Spread of the store factor around its size class (log-normal sigma): locations differ. */
const STORE_FACTOR_SIGMA = 0.15;
const EARLIEST_OPEN = 360; // 06:00
const LATEST_CLOSE = 1380; // 23:00

// ── catalogue ────────────────────────────────────────────────────────────────────────────

export interface CategoryProfile {
  readonly name: string;
  /** Share of the catalogue's SKUs. */
  readonly share: number;
  /** Multiplier on the base rate of its products. */
  readonly popularity: number;
  readonly perishable: boolean;
  /** Shelf life range in days for perishables. */
  readonly shelfLife: readonly [number, number] | null;
  /** Regular price range, euro cents. */
  readonly priceEur: readonly [number, number];
  /** Gross margin: unit_cost = price x (1 - margin), +-20%. */
  readonly margin: number;
  /** Yearly seasonality: 1 + amplitude x cos(2 pi (day of year - peak) / 365.25). */
  readonly seasonAmplitude: number;
  readonly seasonPeakDay: number;
  /** Promotion uplift = (1 - discount)^(-elasticity). */
  readonly elasticity: number;
  /** Days from order to delivery. */
  readonly leadTimeDays: number;
  /** Chance per store x SKU x day of recorded shrink (spoilage, damage) at closing. */
  readonly spoilageRate: number;
  readonly brands: readonly string[];
  readonly items: readonly string[];
}

export const CATEGORIES: readonly CategoryProfile[] = [
  { name: 'Dairy', share: 0.1, popularity: 1.4, perishable: true, shelfLife: [7, 21], priceEur: [89, 499], margin: 0.25, seasonAmplitude: 0.05, seasonPeakDay: 20, elasticity: 1.8, leadTimeDays: 1, spoilageRate: 0.04, brands: ['Alpenhof', 'Laiterie du Val', 'Greenfield'], items: ['Whole Milk 1L', 'Yoghurt 4x125g', 'Butter 250g', 'Cheddar 200g', 'Cream 20cl', 'Skyr 450g'] },
  { name: 'Bakery', share: 0.06, popularity: 1.6, perishable: true, shelfLife: [2, 5], priceEur: [99, 449], margin: 0.4, seasonAmplitude: 0.05, seasonPeakDay: 355, elasticity: 1.5, leadTimeDays: 1, spoilageRate: 0.08, brands: ['Maison Blé', 'Oven Fresh'], items: ['Baguette', 'Sourdough Loaf', 'Croissants x4', 'Rye Bread', 'Brioche'] },
  { name: 'Produce', share: 0.12, popularity: 1.5, perishable: true, shelfLife: [4, 12], priceEur: [79, 399], margin: 0.35, seasonAmplitude: 0.2, seasonPeakDay: 190, elasticity: 2, leadTimeDays: 1, spoilageRate: 0.06, brands: ['Orchard Lane', 'Terra Verde'], items: ['Bananas 1kg', 'Apples 1.5kg', 'Tomatoes 500g', 'Salad', 'Carrots 1kg', 'Avocados x2', 'Strawberries 250g'] },
  { name: 'Meat & Fish', share: 0.08, popularity: 1, perishable: true, shelfLife: [3, 8], priceEur: [299, 1999], margin: 0.3, seasonAmplitude: 0.1, seasonPeakDay: 180, elasticity: 2.2, leadTimeDays: 1, spoilageRate: 0.05, brands: ['Prairie Farms', 'Atlantic Catch', "Butcher's Best"], items: ['Chicken Breast 500g', 'Minced Beef 400g', 'Salmon Fillet 250g', 'Lamb Chops 300g', 'Sausages x6'] },
  { name: 'Frozen', share: 0.08, popularity: 0.8, perishable: false, shelfLife: null, priceEur: [199, 899], margin: 0.32, seasonAmplitude: 0.25, seasonPeakDay: 200, elasticity: 2.4, leadTimeDays: 2, spoilageRate: 0.005, brands: ['Polar Kitchen', 'Iceberg'], items: ['Ice Cream 1L', 'Pizza Margherita', 'Peas 1kg', 'Fish Fingers x10', 'Fries 1kg'] },
  { name: 'Pantry', share: 0.16, popularity: 0.9, perishable: false, shelfLife: null, priceEur: [79, 599], margin: 0.28, seasonAmplitude: 0.05, seasonPeakDay: 330, elasticity: 2, leadTimeDays: 3, spoilageRate: 0.002, brands: ['Golden Grain', 'Casa Rossa', 'Spice Route'], items: ['Pasta 500g', 'Rice 1kg', 'Olive Oil 75cl', 'Tomato Sauce', 'Flour 1kg', 'Coffee 250g', 'Tea x40'] },
  { name: 'Beverages', share: 0.1, popularity: 1.2, perishable: false, shelfLife: null, priceEur: [59, 399], margin: 0.3, seasonAmplitude: 0.3, seasonPeakDay: 200, elasticity: 2.5, leadTimeDays: 2, spoilageRate: 0.002, brands: ['Clearspring', 'Fizzco', 'Sunvale'], items: ['Still Water 6x1.5L', 'Cola 1.5L', 'Orange Juice 1L', 'Sparkling Water 1L', 'Iced Tea 1.5L'] },
  { name: 'Confectionery', share: 0.08, popularity: 1, perishable: false, shelfLife: null, priceEur: [79, 499], margin: 0.38, seasonAmplitude: 0.1, seasonPeakDay: 350, elasticity: 2.8, leadTimeDays: 3, spoilageRate: 0.002, brands: ['Cocoa & Co', 'Sweet Valley'], items: ['Chocolate Bar 100g', 'Biscuits 300g', 'Crisps 150g', 'Gummies 200g', 'Dates 500g'] },
  { name: 'Household', share: 0.08, popularity: 0.5, perishable: false, shelfLife: null, priceEur: [149, 1299], margin: 0.35, seasonAmplitude: 0.05, seasonPeakDay: 90, elasticity: 2.2, leadTimeDays: 3, spoilageRate: 0.001, brands: ['Sparkle', 'HomePro'], items: ['Dish Soap 500ml', 'Laundry Liquid 2L', 'Paper Towels x4', 'Bin Bags x20', 'Sponges x3'] },
  { name: 'Personal Care', share: 0.07, popularity: 0.45, perishable: false, shelfLife: null, priceEur: [149, 1499], margin: 0.4, seasonAmplitude: 0.05, seasonPeakDay: 180, elasticity: 2, leadTimeDays: 3, spoilageRate: 0.001, brands: ['Pure Skin', 'Dentalux'], items: ['Shampoo 250ml', 'Toothpaste 75ml', 'Shower Gel 250ml', 'Deodorant', 'Sunscreen 200ml'] },
  { name: 'Baby', share: 0.04, popularity: 0.5, perishable: false, shelfLife: null, priceEur: [199, 2499], margin: 0.25, seasonAmplitude: 0, seasonPeakDay: 1, elasticity: 1.5, leadTimeDays: 3, spoilageRate: 0.001, brands: ['Little Steps'], items: ['Diapers x30', 'Baby Wipes x64', 'Infant Formula 800g', 'Baby Food Jar'] },
  { name: 'Pet', share: 0.04, popularity: 0.5, perishable: false, shelfLife: null, priceEur: [149, 2999], margin: 0.3, seasonAmplitude: 0, seasonPeakDay: 1, elasticity: 1.7, leadTimeDays: 3, spoilageRate: 0.001, brands: ['Happy Paws'], items: ['Dry Dog Food 3kg', 'Cat Food x12', 'Cat Litter 10L', 'Dog Treats'] },
];

/** Private label sold in every category beside the national brands. */
const PRIVATE_LABEL = 'ShelfStream Select';
/** Base rate of a product: log-normal units per open hour at a factor-1 store (median, sigma). */
const BASE_RATE_MEDIAN = 0.22;
const BASE_RATE_SIGMA = 1;
const BASE_RATE_MAX = 12;
const CASE_PACKS = [6, 8, 12, 24] as const;

// ── the chain ────────────────────────────────────────────────────────────────────────────

export interface StoreProfile {
  readonly index: number;
  /** The master-data record published to md.stores. */
  readonly store: Store;
  readonly region: RegionProfile;
  readonly size: SizeClassProfile;
  /** Store factor of the demand model: size class factor x location effect. */
  readonly factor: number;
  readonly terminals: readonly string[];
  /** Opening window per ISO day of week (index 0 = Monday); null when closed all day. */
  readonly opening: readonly (OpeningWindow | null)[];
}

export interface ProductProfile {
  readonly index: number;
  /** The master-data record published to md.products (euro prices). */
  readonly product: Product;
  readonly category: CategoryProfile;
  readonly categoryIndex: number;
  /** Mean units per open hour at a factor-1 store when every other factor is 1. */
  readonly baseRate: number;
  /** Units per case: orders are rounded up to whole cases. */
  readonly casePack: number;
}

export interface Chain {
  readonly stores: readonly StoreProfile[];
  readonly products: readonly ProductProfile[];
  readonly categories: readonly CategoryProfile[];
}

export interface ChainOptions {
  readonly seed: number;
  readonly stores: number;
  readonly skus: number;
  /** updated_at of the master-data records (the run's start). */
  readonly updatedAt: number;
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** A price in minor units ending in 9 (1.99, 24.99), never below 1. */
export function charmPrice(minor: number): number {
  return minor < 10 ? Math.max(1, Math.round(minor)) : Math.round(minor / 10) * 10 - 1;
}

/** The shelf price of a product in a store's currency. */
export function localPrice(priceEur: number, region: RegionProfile): number {
  return region.perEur === 1 ? priceEur : charmPrice(priceEur * region.perEur);
}

function openingFor(region: RegionProfile, size: SizeClassProfile): (OpeningWindow | null)[] {
  const adjust = (win: OpeningWindow | null): OpeningWindow | null =>
    win && { opens: Math.max(EARLIEST_OPEN, win.opens - size.earlier), closes: Math.min(LATEST_CLOSE, win.closes + size.later) };
  const sunday = region.hours.sunday ?? (size.opensSundays ? w(600, 1080) : null);
  return [...Array.from({ length: 5 }, () => adjust(region.hours.weekday)), adjust(region.hours.saturday), adjust(sunday)];
}

function buildStore(seed: number, index: number, region: RegionProfile, updatedAt: number): StoreProfile {
  const rng = Rng.derive(seed, 'store-profile', index);
  const size = SIZE_CLASSES[rng.weighted(SIZE_CLASSES.map((s) => s.share))]!;
  const storeId = `S${String(index + 1).padStart(3, '0')}`;
  const city = rng.pick(region.cities);
  const opening = openingFor(region, size);
  const terminals = Array.from({ length: size.terminals }, (_, t) => `T${String(t + 1).padStart(2, '0')}`);
  const label = size.sizeClass.charAt(0) + size.sizeClass.slice(1).toLowerCase();
  return {
    index,
    region,
    size,
    factor: round(size.factor * rng.logNormal(0, STORE_FACTOR_SIGMA), 3),
    terminals,
    opening,
    store: {
      store_id: storeId,
      name: `${city} ${label} ${storeId}`,
      region: region.region,
      time_zone: region.timeZone,
      opening_hours: opening.flatMap((win, i) => (win ? [{ day_of_week: i + 1, opens_at_minute: win.opens, closes_at_minute: win.closes }] : [])),
      size_class: size.sizeClass,
      currency: region.currency,
      opened_on: rng.intBetween(daysFromCivil(1995, 1, 1), daysFromCivil(2023, 12, 31)),
      vat_rate: region.vatRate,
      holiday_calendar: region.culture,
      updated_at: updatedAt,
    },
  };
}

function buildProduct(seed: number, index: number, updatedAt: number): ProductProfile {
  const rng = Rng.derive(seed, 'product', index);
  const categoryIndex = rng.weighted(CATEGORIES.map((c) => c.share));
  const category = CATEGORIES[categoryIndex]!;
  const brand = rng.chance(0.25) ? PRIVATE_LABEL : rng.pick(category.brands);
  const price = charmPrice(rng.between(category.priceEur[0], category.priceEur[1]) * (brand === PRIVATE_LABEL ? 0.8 : 1));
  const unitCost = Math.max(1, Math.round(price * (1 - category.margin * rng.between(0.8, 1.2))));
  const sku = `SKU${String(index + 1).padStart(6, '0')}`;
  return {
    index,
    category,
    categoryIndex,
    baseRate: round(Math.min(BASE_RATE_MAX, rng.logNormal(Math.log(BASE_RATE_MEDIAN), BASE_RATE_SIGMA) * category.popularity), 4),
    casePack: rng.pick(CASE_PACKS),
    product: {
      sku,
      name: `${brand} ${rng.pick(category.items)}`,
      category: category.name,
      brand,
      unit_cost: unitCost,
      price,
      currency: 'EUR',
      perishable: category.perishable,
      shelf_life_days: category.shelfLife ? rng.intBetween(category.shelfLife[0], category.shelfLife[1]) : null,
      updated_at: updatedAt,
    },
  };
}

export function buildChain(options: ChainOptions): Chain {
  // Regions in a seed-dependent order, then round-robin: even a two-store chain spans two
  // regions, and store i keeps its region when the chain grows.
  const order = REGIONS.map((_, i) => i);
  Rng.derive(options.seed, 'regions').shuffle(order);
  const stores = Array.from({ length: options.stores }, (_, i) => buildStore(options.seed, i, REGIONS[order[i % order.length]!]!, options.updatedAt));
  const products = Array.from({ length: options.skus }, (_, j) => buildProduct(options.seed, j, options.updatedAt));
  return { stores, products, categories: CATEGORIES };
}
