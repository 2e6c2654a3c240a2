/**
 * The native launcher on its own ports and data folder, beside the stack the harness uses:
 * `up` starts three healthy services, a second `up` is a no-op, `down` leaves no process, and
 * a port held by a stranger is refused with the variable to change. Skipped when the harness
 * was given services from the environment or Docker, where the launcher is not in use.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { down, nativeStatus as status, up } from '../../infra/native/launcher';
import { isAlive } from '../../infra/native/supervisor';
import { loadConfig } from '../../lib/config';
import { registerCleanup, testLogger } from '../harness/fixtures';

const native = !process.env.KAFKA_BROKERS;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function isolatedContext(extra: Record<string, string> = {}) {
  const env = {
    SHELFSTREAM_DATA_DIR: mkdtempSync(join(tmpdir(), 'shelfstream-launcher-')),
    KAFKA_PORT: String(await freePort()),
    KAFKA_CONTROLLER_PORT: String(await freePort()),
    REGISTRY_PORT: String(await freePort()),
    MINIO_PORT: String(await freePort()),
    MINIO_CONSOLE_PORT: String(await freePort()),
    KAFKA_HEAP_MB: '256',
    REGISTRY_HEAP_MB: '256',
    ...extra,
  };
  // The install cache is shared with the harness's stack: installs are not what is tested here.
  const config = loadConfig({ ...process.env, ...env, KAFKA_BROKERS: undefined, SCHEMA_REGISTRY_URL: undefined, MINIO_ENDPOINT: undefined });
  const ctx = { config, logger: testLogger(), env: process.env };
  registerCleanup(() => down(ctx));
  return ctx;
}

(native ? describe : describe.skip)('native launcher', () => {
  it('starts, is a no-op when started again, and stops leaving no process', async () => {
    const ctx = await isolatedContext();
    expect(await up(ctx)).toEqual({ kafka: 'started', registry: 'started', minio: 'started' });
    const before = await status(ctx);
    expect(before.map((s) => [s.name, s.healthy])).toEqual([
      ['kafka', true],
      ['registry', true],
      ['minio', true],
    ]);

    expect(await up(ctx)).toEqual({ kafka: 'already-running', registry: 'already-running', minio: 'already-running' });
    const after = await status(ctx);
    expect(after.map((s) => s.pid)).toEqual(before.map((s) => s.pid));

    const pids = before.flatMap((s) => (s.pid !== undefined ? [s.pid] : []));
    // ClickHouse's line of `make status` opens a chDB engine, which a jest worker that already
    // owns one cannot do; .ci/run checks `make status` end to end instead.
    expect(pids).toHaveLength(3);
    expect(await down(ctx)).toEqual({ minio: 'stopped', registry: 'stopped', kafka: 'stopped' });
    expect(pids.filter(isAlive)).toEqual([]);
    expect((await status(ctx)).map((s) => s.running)).toEqual([false, false, false]);
  });

  it('refuses a port held by another process, names the variable, and leaves nothing running', async () => {
    // Accepts connections and drops them at once, so nothing keeps `close` waiting.
    const squatter: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    registerCleanup(() => new Promise((resolve) => squatter.close(resolve)));
    const port = (squatter.address() as { port: number }).port;
    const ctx = await isolatedContext({ MINIO_PORT: String(port) });

    await expect(up(ctx)).rejects.toMatchObject({ code: 'PORT_IN_USE', message: expect.stringContaining('MINIO_PORT') });
    expect((await status(ctx)).filter((s) => s.running)).toEqual([]);
  });
});
