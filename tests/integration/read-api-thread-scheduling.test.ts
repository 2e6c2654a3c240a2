/**
 * READ_API_THREAD_RT_PRIORITY: the read API's worker thread under real-time scheduling where the
 * process may (CAP_SYS_NICE), and under the ordinary scheduler, answering as before, where it may
 * not. The thread's policy is read back from the kernel (/proc/<pid>/task/<tid>/sched: policy 2 is
 * SCHED_RR, prio is 99 minus the real-time priority) and from util-linux `chrt -p`, not from the
 * code under test.
 *
 * The refusal is a real one: the same worker started in a child process whose capabilities lack
 * CAP_SYS_NICE (util-linux `setpriv`, where this process is root), from the compiled modules in
 * dist/ (the worker thread runs from there in every test).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { migrate } from '../../clickhouse/migrate';
import { createLogger } from '../../lib/logger';
import { REPO_ROOT } from '../../lib/paths';
import { generateApiKey, writeKeysFile } from '../../services/ingest/api-keys';
import { startReadApiWorker, type ReadApiWorkerService } from '../../services/read-api';
import { registerCleanup, testClickHouse, testConfig, uniqueName } from '../harness/fixtures';

const RT_PRIORITY = 3; // not the default (1), so the figure read back is this test's
const CAP_SYS_NICE_BIT = 23n; // linux/capability.h

/** `policy` and `prio` of a thread, from the kernel's scheduler view of it. */
function schedOf(path: string): { policy: number; prio: number } {
  const fields = Object.fromEntries(
    readFileSync(path, 'utf8')
      .split('\n')
      .map((line) => line.split(':').map((s) => s.trim()))
      .filter((kv) => kv.length === 2),
  ) as Record<string, string>;
  return { policy: Number(fields.policy), prio: Number(fields.prio) };
}

const mayRaise = (): boolean => {
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return capEff !== undefined && ((BigInt(`0x${capEff}`) >> CAP_SYS_NICE_BIT) & 1n) === 1n;
};

const linux = process.platform === 'linux' ? describe : describe.skip;

linux('read API worker thread scheduling (READ_API_THREAD_RT_PRIORITY)', () => {
  it('runs the worker thread under SCHED_RR at the configured priority, reset on fork, and leaves the owning thread as it was', async () => {
    const { client, database } = await testClickHouse();
    await migrate(client, database);
    const folder = mkdtempSync(join(tmpdir(), 'read-api-rt-'));
    registerCleanup(async () => rmSync(folder, { recursive: true, force: true }));
    const keysFile = join(folder, 'api-keys.json');
    const store = uniqueName('RT');
    const key = generateApiKey(store, 'T1');
    writeKeysFile(keysFile, [key.record]);
    await client.insert({ table: `${database}.dim_store`, values: [{ store_id: store, name: store, region: 'North', time_zone: 'UTC', size_class: 'SMALL', currency: 'EUR', opened_on: '2020-01-01', updated_at: '2026-03-14 18:00:00.000' }], format: 'JSONEachRow' });

    const lines: string[] = [];
    const logger = createLogger({ level: 'info', service: 'test', destination: { write: (line: string) => void lines.push(line) } as pino.DestinationStream });
    const config = testConfig({ READ_API_PORT: '0', INGEST_API_KEYS_FILE: keysFile, READ_API_THREAD_RT_PRIORITY: String(RT_PRIORITY) });
    const owner = schedOf('/proc/thread-self/sched');
    let service: ReadApiWorkerService | undefined = await startReadApiWorker({ config: { ...config, clickhouse: { ...config.clickhouse, database } }, logger, clickhouse: client });
    registerCleanup(async () => service?.close());
    const tid = service.threadId;
    expect(tid).toBeGreaterThan(0);

    const thread = schedOf(`/proc/self/task/${tid}/sched`);
    const chrt = execFileSync('chrt', ['-p', String(tid)], { encoding: 'utf8' });
    const logged = lines.map((l) => JSON.parse(l) as { level: string; msg: string; rtPriority?: number });
    if (mayRaise()) {
      expect(thread).toEqual({ policy: 2, prio: 99 - RT_PRIORITY });
      expect(chrt).toContain('SCHED_RR|SCHED_RESET_ON_FORK');
      expect(chrt).toContain(`priority: ${RT_PRIORITY}`);
      expect(logged).toContainEqual(expect.objectContaining({ level: 'info', msg: 'read API thread under real-time scheduling', rtPriority: RT_PRIORITY }));
    } else {
      expect(thread.policy).toBe(0); // SCHED_OTHER
      expect(logged).toContainEqual(expect.objectContaining({ level: 'info', rtPriority: RT_PRIORITY }));
    }
    // Only the worker: the thread that owns ClickHouse (this one) keeps its scheduling.
    expect(schedOf('/proc/thread-self/sched')).toEqual(owner);

    // It still answers: the store is in the master data, with nothing at risk.
    const answer = await fetch(`${service.url}/v1/stores/${store}/at-risk`, { headers: { authorization: `Bearer ${key.key}` } });
    expect([answer.status, ((await answer.json()) as { items: unknown[] }).items]).toEqual([200, []]);
    await service.close();
    service = undefined;
  });

  it('where refused (no CAP_SYS_NICE), logs why at info, keeps the ordinary scheduler and still answers', () => {
    const folder = mkdtempSync(join(tmpdir(), 'read-api-rt-refused-'));
    registerCleanup(async () => rmSync(folder, { recursive: true, force: true }));
    const keysFile = join(folder, 'api-keys.json');
    writeKeysFile(keysFile, [generateApiKey('S001', 'T1').record]);
    const dist = (path: string): string => JSON.stringify(join(REPO_ROOT, 'dist', path));
    // The worker as `serve read-api` starts it, on an engine folder of the child's own.
    const child = `
      const { loadConfig } = require(${dist('lib/config')});
      const { createLogger } = require(${dist('lib/logger')});
      const { createClickHouse } = require(${dist('lib/clients/clickhouse')});
      const { startReadApiWorker } = require(${dist('services/read-api')});
      const fs = require('node:fs');
      (async () => {
        const lines = [];
        const logger = createLogger({ level: 'info', service: 'child', destination: { write: (l) => void lines.push(l) } });
        const config = loadConfig({ ...process.env, READ_API_PORT: '0', INGEST_API_KEYS_FILE: ${JSON.stringify(keysFile)}, READ_API_THREAD_RT_PRIORITY: '${RT_PRIORITY}' });
        const clickhouse = createClickHouse({ ...config.clickhouse, dataDir: ${JSON.stringify(join(folder, 'clickhouse'))} });
        const service = await startReadApiWorker({ config, logger, clickhouse });
        const sched = fs.readFileSync('/proc/self/task/' + service.threadId + '/sched', 'utf8');
        const openapi = (await fetch(service.url + '/openapi.json')).status;
        await service.close();
        await clickhouse.close();
        process.stdout.write(JSON.stringify({ sched, openapi, lines }));
      })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });`;
    const node = [process.execPath, '-e', child];
    // Root has CAP_SYS_NICE: the child runs without it (bounding and inheritable sets), as a service user would.
    const command = mayRaise() ? ['setpriv', '--bounding-set', '-sys_nice', '--inh-caps', '-sys_nice', '--', ...node] : node;
    const out = JSON.parse(execFileSync(command[0]!, command.slice(1), { encoding: 'utf8', timeout: 60_000, env: process.env })) as { sched: string; openapi: number; lines: string[] };

    expect(/^policy\s*:\s*(\d+)$/m.exec(out.sched)?.[1]).toBe('0'); // SCHED_OTHER
    expect(out.openapi).toBe(200);
    const refused = out.lines.map((l) => JSON.parse(l) as { level: string; msg: string; rtPriority?: number; reason?: string }).find((l) => l.rtPriority === RT_PRIORITY);
    expect(refused).toMatchObject({ level: 'info', msg: expect.stringContaining('stays under the ordinary scheduler') });
    expect(refused?.reason).toMatch(/Operation not permitted/);
  });
});
