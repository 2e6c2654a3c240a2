/**
 * `shelfstream demo` end to end, as a person trying it would: on a stack of its own (Kafka,
 * registry and MinIO started by `shelfstream up` on free ports in a data folder of its own, since
 * the demo publishes to the catalogue topics), shortened by its options (2 stores x 20 skus; the
 * backfill keeps its default, the fewest days the training accepts). It must print the URLs and
 * credentials, and those must work: the demo BI user queries through the SQL endpoint, the demo
 * terminal key gets a sale accepted by HTTP ingest (202), and the forecast trained at start is
 * there (bi_demand_forecast rows, read as the BI user). A fresh start logs nothing at error level.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleEvent } from '../../services/ingest/examples';
import { runCli, startCli } from '../harness/cli';
import { registerCleanup, waitFor } from '../harness/fixtures';

/** A port nothing listens on now (the OS's choice for port 0). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function sqlAs(url: string, user: string, password: string, query: string): Promise<string> {
  const response = await fetch(`${url}/?query=${encodeURIComponent(query)}`, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
  const body = await response.text();
  if (!response.ok) throw new Error(`SQL endpoint answered ${response.status}: ${body}`);
  return body.trim();
}

describe('shelfstream demo', () => {
  it('prints URLs and credentials that work, and trains and predicts the forecast at start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shelfstream-demo-'));
    const env: NodeJS.ProcessEnv = { ...process.env, SHELFSTREAM_DATA_DIR: dataDir, SHELFSTREAM_LOG_LEVEL: 'info', SHELFSTREAM_HTTP_PORT: '0' };
    // The shared services' URLs would send the demo's events to everyone's catalogue topics.
    for (const name of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'MINIO_ENDPOINT', 'CLICKHOUSE_URL']) delete env[name];
    for (const name of ['KAFKA_PORT', 'KAFKA_CONTROLLER_PORT', 'REGISTRY_PORT', 'MINIO_PORT', 'MINIO_CONSOLE_PORT', 'INGEST_PORT', 'SQL_ENDPOINT_PORT', 'READ_API_PORT', 'WEB_PORT', 'ALERTS_API_PORT']) {
      env[name] = String(await freePort());
    }
    // Registered first, so it runs last: after the demo is killed.
    registerCleanup(async () => {
      await runCli(['down'], { env }).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    });
    await runCli(['up'], { env });

    const errors: string[] = [];
    const demo = startCli(['demo', '--stores', '2', '--skus', '20', '--duration', '600'], {
      env,
      onStderrLine: (line) => {
        if (line.includes('"level":50') || line.includes('"level":60')) errors.push(line);
      },
    });
    const ready = await waitFor(() => /web app +(\S+) +user (\S+), password (\S+)[\s\S]*SQL endpoint +(\S+)[\s\S]*HTTP ingest +(\S+) +Authorization: Bearer (\S+) +\(terminal (\S+) of store (\S+);/.exec(demo.stdout()) ?? undefined, {
      timeoutMs: 300_000,
      intervalMs: 500,
      what: 'the demo to print its URLs and credentials',
    });
    const [, webUrl, user, password, sqlUrl, ingestUrl, key, terminal, store] = ready;
    expect(webUrl).toMatch(/^http:\/\//);

    // The BI user reads through the SQL endpoint. The credentials are printed once the services
    // are up, which may be before the warehouse has landed the backfill's stores: a fast machine
    // asks within a second (CI once read 0 rows), so stores and products are awaited, as that user.
    await waitFor(async () => (await sqlAs(sqlUrl!, user!, password!, 'SELECT (SELECT count() FROM dim_store) > 0 AND (SELECT count() FROM dim_product) > 0')) === '1' || undefined, {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: 'the demo BI user to see the stores and products through the SQL endpoint',
    });

    // The terminal key gets a sale of its store accepted.
    const sku = await sqlAs(sqlUrl!, user!, password!, 'SELECT sku FROM dim_product ORDER BY sku LIMIT 1');
    const sale = exampleEvent('pos.sales', { storeId: store!, terminalId: terminal!, skus: [sku], occurredAt: Date.now() - 1_000 });
    const posted = await fetch(`${ingestUrl}/v1/stores/${store}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ events: [{ type: 'pos.sales', event: sale }] }),
    });
    expect({ status: posted.status, body: await posted.json() }).toEqual({ status: 202, body: { accepted: [sale.event_id], duplicates: [] } });

    // The forecast was trained and predicted without waiting for the schedule.
    await waitFor(() => /demo: forecast model \S+/.test(demo.stdout()), { timeoutMs: 600_000, intervalMs: 1_000, what: 'the forecast trained at start' });
    expect(Number(await sqlAs(sqlUrl!, user!, password!, 'SELECT count() FROM bi_demand_forecast'))).toBeGreaterThan(0);

    demo.child.kill('SIGINT');
    await demo.exited;
    expect(errors).toEqual([]);
  }, 1_200_000);
});
