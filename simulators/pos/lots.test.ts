import { parseDay } from '../../lib/domain/calendar';
import { StoreLots } from './lots';
import { PosSimulator } from './simulator';

describe('StoreLots', () => {
  it('takes units from the oldest lot first and hands out the lots whose expiry day has come', () => {
    // SKU 0 keeps 3 days, SKU 1 does not spoil.
    const lots = new StoreLots([3, null]);
    lots.open(Int32Array.from([4, 9]), 100, 'S1');
    lots.receive(0, 6, 101, 'PO-1');
    lots.receive(1, 5, 101, 'PO-2');
    expect(lots.isTracked(1)).toBe(false);
    expect(lots.units(0)).toBe(10);
    // Opening stock: received on 99, expires on 102. Sell 5: the 4 opening units, then 1 of PO-1.
    lots.consume(0, 5);
    expect(lots.lots(0).map((l) => [l.lotId, l.units, l.expiryDay])).toEqual([['PO-1', 5, 104]]);
    expect(lots.expired(0, 103)).toEqual([]);
    expect(lots.expired(0, 104).map((l) => [l.lotId, l.units])).toEqual([['PO-1', 5]]);
  });
});

describe('expiry write-offs in the simulator', () => {
  const options = { seed: 9, stores: 2, skus: 60, window: { kind: 'days' as const, startDay: parseDay('2026-05-04'), days: 14 }, anomalyRate: 1, heartbeats: false };

  it('keeps every perishable shelf equal to its lots and writes off expired lots as SHRINK movements, reason expired', () => {
    const sim = new PosSimulator({ ...options, expiryWriteOffs: true });
    const perishable = new Set(sim.chain.products.filter((p) => p.product.perishable).map((p) => p.product.sku));
    const stores = sim.stores;
    const writeOffs: { sku: string; quantity_delta: number; reference_id: string | null }[] = [];
    const waste: { sku: string; units: number; lot_id: string }[] = [];
    let checked = 0;
    while (!sim.done) {
      const hour = sim.nextHour();
      for (const m of hour.events['inventory.movements']) if (m.reason === 'expired') writeOffs.push(m);
      waste.push(...hour.truth.waste);
      for (const store of stores) {
        sim.chain.products.forEach((p, j) => {
          if (!perishable.has(p.product.sku)) return;
          expect(store.inventory.lots!.units(j)).toBe(store.inventory.onHand[j]);
          checked++;
        });
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(writeOffs.length).toBeGreaterThan(0);
    expect(writeOffs.every((m) => perishable.has(m.sku) && m.quantity_delta < 0)).toBe(true);
    // One waste row per write-off, same lot and units.
    expect(waste.map((w) => [w.sku, w.lot_id, w.units])).toEqual(writeOffs.map((m) => [m.sku, m.reference_id, -m.quantity_delta]));
  });

  it('writes off nothing when off (the default)', () => {
    const sim = new PosSimulator(options);
    let expired = 0;
    while (!sim.done) {
      const hour = sim.nextHour();
      expired += hour.events['inventory.movements'].filter((m) => m.reason === 'expired').length + hour.truth.waste.length;
    }
    expect(expired).toBe(0);
  });
});
