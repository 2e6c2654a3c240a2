/**
 * `make bench` runs every benchmark; `make bench BENCH=<name>` runs one. Services come from
 * the same provider the tests use (environment URLs, testcontainers, or the native launcher).
 * Before any benchmark runs, the runner does what `shelfstream init` does (topics, schemas,
 * migrations, bucket; idempotent): benchmarks encode with the registry's schemas and write to
 * the dead-letter topic, so on a fresh checkout every one of them failed until init had run.
 */
import pino from 'pino';
import { loadConfig, secretValues } from '../lib/config';
import { runInit } from '../cli/commands/init';
import { describeError } from '../lib/errors';
import { createLogger } from '../lib/logger';
import { provideServices } from '../tests/harness/services';
import { avroProduce } from './benchmarks/avro-produce';
import { archiveBench } from './benchmarks/archive';
import { biQueryBench } from './benchmarks/bi-query';
import { biJudgementBench } from './benchmarks/bi-judgement';
import { biRatesBench } from './benchmarks/bi-rates';
import { biSettingsBench } from './benchmarks/bi-settings';
import { forecastBench } from './benchmarks/forecast';
import { forecastDriftBench } from './benchmarks/forecast-drift';
import { velocityBench } from './benchmarks/velocity';
import { velocityCoreBench } from './benchmarks/velocity-core';
import { biStarvationBench } from './benchmarks/bi-starvation';
import { simulatorBackfill } from './benchmarks/simulator-backfill';
import { ingest } from './benchmarks/ingest';
import { kafkaClients } from './benchmarks/kafka-clients';
import { parquetWriters } from './benchmarks/parquet-writers';
import { sqlEndpointBench } from './benchmarks/sql-endpoint';
import { sqlWireBench } from './benchmarks/sql-wire';
import { alertsBench } from './benchmarks/alerts';
import { readApiBench } from './benchmarks/read-api';
import { readApiAllocBench } from './benchmarks/read-api-alloc';
import { inventoryBench } from './benchmarks/inventory';
import { productRangeBench } from './benchmarks/product-range';
import { recoveryBench } from './benchmarks/recovery';
import { webBench } from './benchmarks/web';
import { webPriorityBench } from './benchmarks/web-priority';
import { detectionBench } from './benchmarks/detection';
import { impactBench, impactQuickBench, impactSweepBench, impactTuneBench, impactTuneFullBench } from './benchmarks/impact';
import { impactDiagnoseBench } from './benchmarks/impact-diagnose';
import { stockWarningsBench } from './benchmarks/stock-warnings';
import { formatBenchLine, recordResult, type Benchmark } from './harness';

// One a line, so that a branch adding a benchmark adds a line rather than rewriting one.
const BENCHMARKS: readonly Benchmark[] = [
  avroProduce,
  velocityBench,
  velocityCoreBench,
  simulatorBackfill,
  ingest,
  kafkaClients,
  parquetWriters,
  archiveBench,
  forecastBench,
  forecastDriftBench,
  sqlEndpointBench,
  sqlWireBench,
  biStarvationBench,
  biQueryBench,
  biJudgementBench,
  biRatesBench,
  biSettingsBench,
  alertsBench,
  readApiBench,
  readApiAllocBench,
  productRangeBench,
  inventoryBench,
  recoveryBench,
  webBench,
  webPriorityBench,
  detectionBench,
  impactBench,
  impactQuickBench,
  impactSweepBench,
  impactTuneBench,
  impactTuneFullBench,
  impactDiagnoseBench,
  stockWarningsBench,
];

async function main(): Promise<void> {
  const wanted = process.argv[2];
  const selected = wanted ? BENCHMARKS.filter((b) => b.name === wanted) : BENCHMARKS;
  if (selected.length === 0) {
    throw new Error(`no benchmark named ${wanted}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  }
  const services = await provideServices(process.env);
  Object.assign(process.env, services.env);
  const config = loadConfig(process.env);
  const logger = createLogger({ level: 'warn', service: 'bench', destination: pino.destination({ fd: 2, sync: true }), secrets: secretValues(config) });
  let failed = 0;
  try {
    const init = await runInit({ config, logger, env: process.env });
    process.stderr.write(`bench: ${init.changed ? `initialised (migrations applied: ${init.migrations.applied.length})` : 'services already initialised'}\n`);
    for (const bench of selected) {
      process.stderr.write(`bench ${bench.name}: ${bench.description}\n`);
      try {
        const metrics = await bench.run({ config, logger });
        recordResult(bench.name, metrics);
        process.stdout.write(formatBenchLine(bench.name, metrics) + '\n');
      } catch (error) {
        failed++;
        process.stderr.write(`bench ${bench.name} failed: ${describeError(error)}\n`);
      }
    }
  } finally {
    await services.stop();
  }
  if (failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${describeError(error)}\n`);
  process.exitCode = 1;
});
