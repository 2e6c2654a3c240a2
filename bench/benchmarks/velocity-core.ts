/**
 * velocity-core: CPU per event of the velocity path itself (decode of the fields it reads,
 * contract checks, the event-id guard, 1-minute windows, the flush into an in-memory sink),
 * through the runtime's real core driven by the test driver, with no broker or ClickHouse in the
 * way: what is left of velocity's cost once kafkajs and chDB are taken out. The baseline in the
 * same run is the same path with the event-id guard off (horizon 0), so the guard's share is a
 * difference measured on one machine at one moment. Records are encoded before timing starts.
 * `node --cpu-prof` on this benchmark gives the profile of the velocity side alone.
 */
import { EventCodec } from '../../lib/events/codec';
import { loadCatalog } from '../../schemas/catalog';
import { TestDriver } from '../../streams/runtime/test-driver';
import { velocityProcessor } from '../../streams/velocity/velocity';
import { benchSale, type Benchmark } from '../harness';

const SALES = 300_000;
/** Sales spread over 10 minutes of event time: the default horizon holds every id, as in the velocity bench. */
const SPAN_MS = 600_000;
const PIPE_CHUNK = 10_000;

async function cpuPerEvent(values: readonly Buffer[], start: number, eventIdHorizonMs: number): Promise<number> {
  const driver = new TestDriver(velocityProcessor({ maxOutOfOrderMs: 5_000, allowedLatenessMs: 60_000, eventIdHorizonMs }), { startMs: start, batchSize: 1_000, maxBufferedRows: 50_000 });
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < values.length; i += PIPE_CHUNK) {
    await driver.pipe('pos.sales', 0, values.slice(i, i + PIPE_CHUNK).map((value) => ({ key: 'B', value })));
    await driver.advanceWallClock(1_000); // a flush per chunk, as the flush interval would
  }
  await driver.flush();
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / values.length;
}

export const velocityCoreBench: Benchmark = {
  name: 'velocity-core',
  description: `${SALES} sales through velocity's decode, checks, event-id guard and windows without a broker, beside the same without the guard`,
  async run() {
    const codec = EventCodec.offline(loadCatalog());
    const start = Date.UTC(2026, 11, 6, 8, 0, 0);
    const values = Array.from({ length: SALES }, (_, i) => Buffer.from(codec.encode('pos.sales', benchSale(i, start + Math.floor((i / SALES) * SPAN_MS)))));
    // Alternated, twice each: the machine's load moves between runs; the lower of each is kept.
    const withGuard: number[] = [];
    const withoutGuard: number[] = [];
    for (let round = 0; round < 2; round++) {
      withGuard.push(await cpuPerEvent(values, start, 600_000));
      withoutGuard.push(await cpuPerEvent(values, start, 0));
    }
    const guarded = Math.min(...withGuard);
    const unguarded = Math.min(...withoutGuard);
    return {
      events: SALES,
      cpu_us_per_event: Number(guarded.toFixed(2)),
      no_guard_cpu_us_per_event: Number(unguarded.toFixed(2)),
      guard_us_per_event: Number((guarded - unguarded).toFixed(2)),
    };
  },
};
