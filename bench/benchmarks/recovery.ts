/**
 * recovery: the time from restarting a processor killed with SIGKILL to caught up, with 65
 * sales published while it was down (the figure: the last 65 records of a catch-up took
 * 45 s). Velocity commits the first offset of its open minute, so "caught up" is: every
 * partition that got new sales has committed past where it stood at the kill (the new sales,
 * a minute later in event time, closed the minute that was open).
 *
 * A restarted processor joins its group at once, but the group still lists the dead member and
 * waits for it to rejoin, up to the rebalance timeout, unless its session (30 s) expires first.
 * Measured in the same run: kafkajs' default rebalance timeout (60 s: the wait is the session's,
 * the baseline) against STREAM_REBALANCE_TIMEOUT_MS=5000 (the default now). The session timeout
 * is 30 s in both. RECOVERY_CHILD_LOG=<file> keeps the processor runs' logs (info) there.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { migrate } from '../../clickhouse/migrate';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { REPO_ROOT } from '../../lib/paths';
import { loadCatalog } from '../../schemas/catalog';
import { benchSale, publishBenchSales, type Benchmark } from '../harness';

const SALES = 20_000;
const WHILE_DOWN = 65;
const DEADLINE_MS = 120_000;

/** Committed offset per partition of `topic` by `group` (-1: none). */
async function committedOffsets(admin: Admin, group: string, topic: string): Promise<Map<number, number>> {
  return new Map((await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.map((p) => [p.partition, Number(p.offset)]));
}

/** Polls until `done` answers true for the group's committed offsets; answers the ms it took. */
async function until(admin: Admin, group: string, topic: string, since: number, done: (committed: Map<number, number>) => boolean): Promise<number> {
  for (;;) {
    if (done(await committedOffsets(admin, group, topic))) return Date.now() - since;
    if (Date.now() - since > DEADLINE_MS) throw new Error(`${group} did not get there on ${topic} within ${DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const recoveryBench: Benchmark = {
  name: 'recovery',
  description: 'restart after SIGKILL to caught up: the default rebalance timeout (baseline) vs STREAM_REBALANCE_TIMEOUT_MS=5000, session timeout 30 s',
  async run({ config, logger }) {
    const kafka = createKafka(config.kafka, logger, 'bench');
    const topic = await publishBenchSales(kafka, config, 'bench.recovery', SALES);
    const admin = kafka.admin();
    await admin.connect();
    // The processor runs are child processes: each owns the embedded ClickHouse folder in turn.
    if (config.clickhouse.mode !== 'embedded') throw new Error('the recovery benchmark hands an embedded ClickHouse folder to its processor runs');
    const dataDir = mkdtempSync(join(tmpdir(), 'shelfstream-recovery-'));
    const database = `bench_recovery_${Date.now()}`;
    const setup = createClickHouse({ ...config.clickhouse, dataDir: join(dataDir, 'clickhouse') });
    await migrate(setup, database);
    await setup.close();
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
    const producer = createProducer(kafka);
    await producer.connect();
    let published = SALES;
    const groups: string[] = [];
    /** Seconds from the restart to caught up, for one variant's environment. */
    const measure = async (variant: string, extraEnv: Record<string, string>): Promise<number> => {
      const group = `bench.recovery.${variant}.${Date.now()}`;
      groups.push(group);
      const env = { ...process.env, SHELFSTREAM_DATA_DIR: dataDir, CLICKHOUSE_DATABASE: database, STREAM_FLUSH_INTERVAL_MS: '200', STREAM_SESSION_TIMEOUT_MS: '30000', SHELFSTREAM_LOG_LEVEL: process.env['RECOVERY_CHILD_LOG'] ? 'info' : 'warn', ...extraEnv };
      const run = () => {
        const child = spawn(process.execPath, ['bin/shelfstream.js', 'stream', 'velocity', '--group', group, '--topic', `pos.sales=${topic}`, '--no-metrics'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', process.env['RECOVERY_CHILD_LOG'] ? openSync(process.env['RECOVERY_CHILD_LOG'], 'a') : 'ignore'] });
        return { child, exited: once(child, 'exit') };
      };
      const first = run();
      process.stderr.write(`recovery ${variant}: first run started\n`);
      // All but the open minute (a hundred-odd sales a minute) committed.
      await until(admin, group, topic, Date.now(), (c) => [...c.values()].reduce((n, o) => n + Math.max(0, o), 0) >= published - 1_000);
      const atKill = await committedOffsets(admin, group, topic);
      process.stderr.write(`recovery ${variant}: caught up before the kill\n`);
      first.child.kill('SIGKILL');
      await first.exited;
      const messages = [];
      for (let i = 0; i < WHILE_DOWN; i++) {
        // Event time after everything published so far: each variant's sales a minute per sale
        // later than the previous one's, so they close its open minute rather than arrive late.
        const sale = benchSale(published + i, Date.UTC(2026, 10, 1, 3) + (published - SALES) * 60_000 + i * 2_000);
        messages.push({ key: sale.store_id, value: codec.encode('pos.sales', sale) });
      }
      const sent = await producer.send({ topic, acks: -1, messages });
      const grown = new Set(sent.map((r) => r.partition));
      published += WHILE_DOWN;
      const restartedAt = Date.now();
      const second = run();
      process.stderr.write(`recovery ${variant}: restarted\n`);
      const ms = await until(admin, group, topic, restartedAt, (c) => [...grown].every((p) => (c.get(p) ?? -1) > (atKill.get(p) ?? -1)));
      second.child.kill('SIGTERM');
      await second.exited;
      process.stderr.write(`recovery ${variant}: caught up ${ms} ms after the restart\n`);
      return ms / 1000;
    };
    try {
      const baseline = await measure('default', { STREAM_REBALANCE_TIMEOUT_MS: '60000' });
      const short = await measure('short', { STREAM_REBALANCE_TIMEOUT_MS: '5000' });
      return { baseline_rebalance_60s_s: baseline, rebalance_5s_s: short, session_timeout_s: 30, records_while_down: WHILE_DOWN };
    } finally {
      await producer.disconnect();
      await admin.deleteGroups(groups).catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
