/**
 * `shelfstream simulate backfill|realtime`: the POS simulator (simulators/pos). Flags are
 * parsed and checked here, with a message naming the flag; the simulation options are checked
 * again, all at once, by the simulator itself.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ShelfStreamError } from '../../lib/errors';
import { parseDay } from '../../lib/domain/calendar';
import { SIMULATION_DEFAULTS, SIMULATION_LIMITS, type SimulationOptions } from '../../simulators/pos/options';
import { MAX_BATCH_EVENTS, PIPELINE_DEFAULTS, type RunSummary, defaultWorkers, floorHour, runBackfill, runRealtime } from '../../simulators/pos/run';
import type { CliContext } from '../context';

/** cli/main.ts's `run`: wraps an action so it receives the context built from the configuration. */
type RunCommand = (service: string, action: (ctx: CliContext) => Promise<boolean | void>) => () => Promise<void>;

function integer(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} takes a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

function positive(flag: string, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`${flag} takes a number above 0, at most ${max}.`);
    return n;
  };
}

function rate(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > SIMULATION_LIMITS.maxAnomalyRate) {
    throw new InvalidArgumentError(`--anomaly-rate takes a number from 0 (none) to ${SIMULATION_LIMITS.maxAnomalyRate}.`);
  }
  return n;
}

function day(value: string): number {
  try {
    return parseDay(value);
  } catch {
    throw new InvalidArgumentError('--start takes a date, YYYY-MM-DD (e.g. 2026-01-01).');
  }
}

function instant(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('--start takes an ISO 8601 date-time, e.g. 2026-03-19T08:00:00Z.');
  return ms;
}

interface CommonFlags {
  stores: number;
  skus: number;
  seed: number;
  out?: string;
  anomalyRate: number;
  heartbeats: boolean;
  expiryWriteOffs: boolean;
  progress: boolean;
}

interface BackfillFlags extends CommonFlags {
  days: number;
  start: number;
  workers: number;
  batchEvents: number;
  inFlight: number;
}

interface RealtimeFlags extends CommonFlags {
  speed: number;
  duration?: number;
  start?: number;
}

function common(command: Command): Command {
  return command
    .option('--stores <n>', 'stores in the chain', integer('--stores', 1, SIMULATION_LIMITS.maxStores), SIMULATION_DEFAULTS.stores)
    .option('--skus <n>', 'products in the catalogue', integer('--skus', 1, SIMULATION_LIMITS.maxSkus), SIMULATION_DEFAULTS.skus)
    .option('--seed <n>', 'random seed: the same seed gives the same events', integer('--seed', 0, 4_294_967_295), SIMULATION_DEFAULTS.seed)
    .option('--out <dir>', 'ground-truth directory (default: SIMULATOR_OUTPUT_DIR)')
    .option('--anomaly-rate <x>', 'multiplier on the injected-anomaly rates, 0 for none', rate, SIMULATION_DEFAULTS.anomalyRate)
    .option('--no-heartbeats', 'no terminal heartbeats')
    .option('--expiry-write-offs', 'keep perishables in lots and write off what expires (changes every later event of a seed)', false)
    .option('--no-progress', 'no progress bar');
}

export function registerSimulateCommands(program: Command, run: RunCommand): void {
  const simulate = program.command('simulate').description('run the POS simulator: events to Kafka (Avro), ground truth to files');

  common(simulate.command('backfill'))
    .description('simulate whole days of the chain as fast as Kafka takes them')
    .option('--days <n>', 'days to simulate', integer('--days', 1, 2_557), SIMULATION_DEFAULTS.days)
    .addOption(new Option('--start <date>', 'first (local) day, YYYY-MM-DD, from 2024-01-01 to 2030-12-31').argParser(day).default(parseDay(SIMULATION_DEFAULTS.start), SIMULATION_DEFAULTS.start))
    .addOption(new Option('--workers <n>', 'worker threads, each with its own producer').argParser(integer('--workers', 1, 64)).default(defaultWorkers(), `one per core, at most 4: ${defaultWorkers()}`))
    .option('--batch-events <n>', 'events per produce request', integer('--batch-events', 1, MAX_BATCH_EVENTS), PIPELINE_DEFAULTS.batchEvents)
    .option('--in-flight <n>', 'produce requests in flight per worker while it generates the next batch; above 1, a retried request may overtake order', integer('--in-flight', 1, 16), PIPELINE_DEFAULTS.inFlight)
    .action((flags: BackfillFlags) => run('simulator', (ctx) => backfillCommand(ctx, flags))());

  common(simulate.command('realtime'))
    .description('publish events as the simulated clock passes them, at a speed factor')
    .option('--speed <x>', 'simulated seconds per wall-clock second (1 = real time, 60 = an hour a minute)', positive('--speed', 1_000_000), 1)
    .option('--duration <s>', 'stop after this many wall-clock seconds (default: until Ctrl-C)', positive('--duration', 31_536_000))
    .option('--start <iso>', 'simulated start, e.g. 2026-03-19T08:00:00Z (default: now, or now - duration x speed)', instant)
    .action((flags: RealtimeFlags) => run('simulator', (ctx) => realtimeCommand(ctx, flags))());
}

function simulation(flags: CommonFlags, window: SimulationOptions['window']): SimulationOptions {
  return { seed: flags.seed, stores: flags.stores, skus: flags.skus, window, anomalyRate: flags.anomalyRate, heartbeats: flags.heartbeats, expiryWriteOffs: flags.expiryWriteOffs };
}

export async function backfillCommand(ctx: CliContext, flags: BackfillFlags): Promise<void> {
  const summary = await runBackfill(ctx, {
    simulation: simulation(flags, { kind: 'days', startDay: flags.start, days: flags.days }),
    outDir: flags.out ?? ctx.config.simulator.outputDir,
    workers: flags.workers,
    batchEvents: flags.batchEvents,
    inFlight: flags.inFlight,
    progress: flags.progress,
  });
  printSummary(ctx, summary);
}

export async function realtimeCommand(ctx: CliContext, flags: RealtimeFlags): Promise<void> {
  const now = Date.now();
  // With a duration and no start, replay the last `duration x speed` so the run ends at now and
  // no event is from the future.
  const clockStart = flags.start ?? (flags.duration !== undefined ? now - flags.duration * flags.speed * 1000 : now);
  if (flags.speed > 1 && flags.duration === undefined) {
    ctx.logger.warn({ speed: flags.speed }, 'the simulated clock runs ahead of the wall clock; consumers reject events more than a day in the future');
  }
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A timer, not AbortSignal.timeout inside AbortSignal.any: such a dependent signal can be
  // garbage-collected before it fires, and the run would never stop.
  const timer = flags.duration !== undefined ? setTimeout(() => stop.abort(), flags.duration * 1000) : undefined;
  const signals = stop.signal;
  try {
    const summary = await runRealtime(ctx, {
      simulation: simulation(flags, { kind: 'continuous', start: floorHour(clockStart) }),
      outDir: flags.out ?? ctx.config.simulator.outputDir,
      speed: flags.speed,
      clockStart,
      progress: flags.progress,
      signal: signals,
    });
    printSummary(ctx, summary);
  } catch (error) {
    if (error instanceof ShelfStreamError) throw error;
    throw new ShelfStreamError('SERVICE_UNAVAILABLE', `simulate realtime failed: ${String(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function printSummary(ctx: CliContext, s: RunSummary): void {
  const n = (v: number): string => Math.round(v).toLocaleString('en-US');
  ctx.print(`simulate ${s.mode}: ${n(s.events)} events in ${s.seconds.toFixed(1)} s (${n(s.eventsPerSecond)} events/s), ${s.simulatedHours} simulated hours, ${s.workers} worker(s)`);
  for (const [topic, count] of Object.entries(s.eventsByTopic)) ctx.print(`  ${topic.padEnd(22)} ${n(count).padStart(12)}`);
  ctx.print(`  anomalies: ${Object.entries(s.anomaliesByType).map(([t, c]) => `${t} ${c}`).join(', ')}`);
  ctx.print(`  ground truth: ${s.outDir}`);
}
