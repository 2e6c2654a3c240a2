/**
 * `shelfstream ingest serve` runs the HTTP ingest service until SIGTERM or SIGINT, then shuts
 * it down gracefully; `shelfstream ingest keys create|list|revoke` manages the terminals' API
 * keys in config.ingest.apiKeysFile (a running service picks changes up within a second).
 */
import type { Command } from 'commander';
import { startOpsEndpoint } from '../../lib/health';
import { createMetrics } from '../../lib/metrics';
import { ANY_STORE, createApiKey, readKeysFile, revokeApiKey } from '../../services/ingest/api-keys';
import { startIngestService } from '../../services/ingest';
import type { CliContext } from '../context';

export type RunCommand = (service: string, action: (ctx: CliContext) => Promise<boolean | void>) => () => Promise<void>;

/** Adds the `ingest` command group; `run` is the CLI's wrapper that builds the context once. */
export function registerIngestCommands(program: Command, run: RunCommand): void {
  const ingest = program.command('ingest').description('the HTTP ingest service for store terminals, and its API keys');
  ingest
    .command('serve')
    .description('serve POST /v1/stores/:store_id/events (OpenAPI at /openapi.json) until SIGTERM/SIGINT')
    .action(run('ingest', ingestServeCommand));

  const keys = ingest.command('keys').description('per-terminal API keys (stored hashed in INGEST_API_KEYS_FILE)');
  keys
    .command('create')
    .description('create a key for one terminal (or one head-office system with --back-office) and print it once')
    .option('--store <store_id>', 'the store the terminal belongs to')
    .option('--terminal <terminal_id>', 'the terminal (till) id')
    .option('--back-office <system>', 'a key for a head-office system (ERP, pricing, treasury) that publishes master data and pricing events for any store, instead of --store and --terminal')
    .action(async (options: { store?: string; terminal?: string; backOffice?: string }) => run('ingest', (ctx) => keysCreateCommand(ctx, options))());
  keys
    .command('list')
    .description('list keys (ids, store, terminal, dates; never the keys)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => run('ingest', (ctx) => keysListCommand(ctx, options))());
  keys
    .command('revoke')
    .description('revoke a key by its id; requests with it get 401 from then on')
    .argument('<keyId>', 'the id shown by `keys list` (the part after ssk_)')
    .action(async (keyId: string) => run('ingest', (ctx) => keysRevokeCommand(ctx, keyId))());
}

export async function ingestServeCommand(ctx: CliContext): Promise<void> {
  const { config, logger } = ctx;
  const metrics = createMetrics('ingest');
  const service = await startIngestService({ config, logger, metrics });
  // The same /healthz, /readyz and /metrics on the process's ops port, where Prometheus scrapes
  // every ShelfStream process; the ingest port serves them too, for the terminals' load balancer.
  const ops = await startOpsEndpoint({ host: config.http.host, port: config.http.port, registry: metrics.registry, readiness: service.readiness });
  logger.info({ url: service.url, openapi: `${service.url}/openapi.json`, ops: `http://${config.http.host}:${ops.address().port}` }, `ingest listening on ${service.url}`);
  ctx.print(`ingest listening on ${service.url} (API: ${service.url}/openapi.json)`);
  service.masterData.whenLoaded().then(
    () => logger.info({ stores: service.masterData.stores, products: service.masterData.products }, 'ingest ready'),
    () => undefined,
  );

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal, graceMs: config.ingest.shutdownGraceMs }, 'shutting down: finishing running requests');
  ops.drain();
  await service.close();
  await ops.close();
}

export async function keysCreateCommand(ctx: CliContext, options: { store?: string; terminal?: string; backOffice?: string }): Promise<void> {
  const backOffice = options.backOffice !== undefined;
  if (backOffice && (options.store !== undefined || options.terminal !== undefined)) throw new Error('--back-office takes no --store or --terminal: a back-office key publishes for every store');
  if (!backOffice && (options.store === undefined || options.terminal === undefined)) throw new Error('give --store and --terminal for a terminal key, or --back-office <system> for a head-office system');
  const { key, record } = backOffice
    ? await createApiKey(ctx.config.ingest.apiKeysFile, ANY_STORE, options.backOffice!, 'back-office')
    : await createApiKey(ctx.config.ingest.apiKeysFile, options.store!, options.terminal!);
  ctx.print(key);
  const owner = backOffice ? `back-office system ${record.terminal_id} (master data and pricing events of every store)` : `store ${record.store_id}, terminal ${record.terminal_id}`;
  process.stderr.write(
    `API key ${record.key_id} for ${owner}, stored hashed in ${ctx.config.ingest.apiKeysFile}.\n` +
      'This is the only time the key is shown: give it to the terminal now (header `Authorization: Bearer <key>`).\n',
  );
}

export async function keysListCommand(ctx: CliContext, options: { json?: boolean }): Promise<void> {
  const keys = readKeysFile(ctx.config.ingest.apiKeysFile).map(({ hash: _hash, ...rest }) => rest);
  if (options.json) return ctx.print(JSON.stringify(keys, null, 2));
  if (keys.length === 0) return ctx.print(`no API keys in ${ctx.config.ingest.apiKeysFile}`);
  const header = ['key_id', 'store_id', 'terminal_id', 'created_at', 'state'];
  const rows = keys.map((k) => [k.key_id, k.store_id, k.terminal_id, k.created_at, k.revoked_at ? `revoked ${k.revoked_at}` : 'active']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) ctx.print(row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

export async function keysRevokeCommand(ctx: CliContext, keyId: string): Promise<boolean> {
  const id = keyId.replace(/^ssk_/, '').split('_')[0]!;
  const revoked = await revokeApiKey(ctx.config.ingest.apiKeysFile, id);
  if (!revoked) {
    process.stderr.write(`no API key with id ${id} in ${ctx.config.ingest.apiKeysFile}\n`);
    return false;
  }
  ctx.print(`revoked ${revoked.key_id} (store ${revoked.store_id}, terminal ${revoked.terminal_id}) at ${revoked.revoked_at}`);
  return true;
}
