/**
 * `shelfstream up`, `down` and `status`: the native stack (Kafka, registry, MinIO) and the
 * reachability of ClickHouse.
 */
import { down, status, up, type ServiceStatus, type UpEvent } from '../../infra/native/launcher';
import { createTaskBoard } from '../../lib/progress';
import type { CliContext } from '../context';

const PHASE_STEP: Record<UpEvent['phase'], number> = {
  installing: 0,
  installed: 1,
  cached: 1,
  starting: 2,
  healthy: 3,
  'already-running': 3,
};

export async function upCommand(ctx: CliContext): Promise<void> {
  const started = performance.now();
  const board = createTaskBoard(['kafka', 'registry', 'minio'], 3);
  let outcome;
  try {
    outcome = await up(ctx, (e) => board.step(e.service, PHASE_STEP[e.phase], e.ms !== undefined ? `${e.phase} in ${(e.ms / 1000).toFixed(1)} s` : e.attempt ? `${e.phase} (attempt ${e.attempt})` : e.phase));
  } finally {
    board.stop();
  }
  const statuses = await status(ctx);
  printStatus(ctx, statuses);
  const startedNow = Object.entries(outcome).filter(([, o]) => o === 'started').map(([n]) => n);
  ctx.print(
    startedNow.length === 0
      ? 'Everything was already running: nothing changed.'
      : `Started ${startedNow.join(', ')} in ${((performance.now() - started) / 1000).toFixed(1)} s. Data: ${ctx.config.launcher.dataDir}`,
  );
}

export async function downCommand(ctx: CliContext): Promise<void> {
  const outcome = await down(ctx);
  for (const [name, o] of Object.entries(outcome)) ctx.print(`${name.padEnd(9)} ${o}`);
  const stillUp = (await status(ctx)).filter((s) => s.name !== 'clickhouse' && s.running);
  if (stillUp.length > 0) throw new Error(`still running after down: ${stillUp.map((s) => `${s.name} (pid ${s.pid})`).join(', ')}`);
}

export function printStatus(ctx: CliContext, statuses: readonly ServiceStatus[]): void {
  const rows = statuses.map((s) => [
    s.name,
    s.healthy ? 'healthy' : s.running ? 'UNHEALTHY' : 'down',
    s.pid !== undefined ? String(s.pid) : '-',
    s.rssMb !== undefined ? `${s.rssMb} MiB` : '-',
    s.url,
    s.detail ?? '',
  ]);
  const header = ['service', 'state', 'pid', 'rss', 'address', 'detail'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) ctx.print(row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

export async function statusCommand(ctx: CliContext, options: { json?: boolean }): Promise<boolean> {
  const statuses = await status(ctx);
  if (options.json) ctx.print(JSON.stringify(statuses, null, 2));
  else printStatus(ctx, statuses);
  return statuses.every((s) => s.healthy);
}
