import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../lib/config';
import { isShelfStreamError } from '../../lib/errors';
import { upOne, type UpEvent } from './launcher';
import type { LaunchContext, NativeService } from './service';
import { Supervisor } from './supervisor';

describe('Supervisor', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'shelfstream-supervisor-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('tells how a process ended and what it printed in this run only', async () => {
    const supervisor = new Supervisor(dir);
    const spec = (word: string, code: number) => ({
      name: 'svc',
      command: '/bin/sh',
      args: ['-c', `echo ${word}-out; echo ${word}-err >&2; exit ${code}`],
      cwd: dir,
      marker: dir,
    });
    const first = supervisor.start(spec('first', 0), {});
    expect(await first.exit(10_000)).toEqual({ code: 0, signal: null });
    const second = supervisor.start(spec('second', 3), {});
    expect(await second.exit(10_000)).toEqual({ code: 3, signal: null });
    // Once known, the status is answered at once.
    expect(await second.exit(0)).toEqual({ code: 3, signal: null });
    expect(supervisor.find('svc')).toBeUndefined();
    const tail = supervisor.logSince('svc', second.logOffset);
    expect(tail).toContain('second-err');
    expect(tail).not.toContain('first');
    // The file itself keeps both runs (appended).
    expect(readFileSync(supervisor.logFile('svc'), 'utf8')).toContain('first-out');
  });

  it('keeps a process just started whose command line is not yet the service (before exec), and forgets a foreign one later', () => {
    const supervisor = new Supervisor(dir);
    const record = (startedAt: Date) => JSON.stringify({ pid: process.pid, marker: `${dir}/not-in-jest-command-line`, startedAt: startedAt.toISOString(), command: 'x' });
    mkdirSync(join(dir, 'pids'), { recursive: true });
    writeFileSync(join(dir, 'pids', 'svc.json'), record(new Date()));
    expect(supervisor.find('svc')?.pid).toBe(process.pid);
    writeFileSync(join(dir, 'pids', 'svc.json'), record(new Date(Date.now() - 60_000)));
    expect(supervisor.find('svc')).toBeUndefined();
    expect(existsSync(join(dir, 'pids', 'svc.json'))).toBe(false);
  });
});

describe('upOne', () => {
  let dir: string;
  let supervisor: Supervisor;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'shelfstream-upone-'));
    supervisor = new Supervisor(join(dir, 'run'));
  });
  afterEach(async () => {
    await supervisor.stop('minio', 2_000);
    rmSync(dir, { recursive: true, force: true });
  });

  const ctx: LaunchContext = {
    config: loadConfig({ SERVICE_START_TIMEOUT_S: '20', MINIO_PORT: '1', MINIO_CONSOLE_PORT: '2' }),
    logger: pino({ enabled: false }),
    env: {}, // the child runs /bin/sh by its path: no PATH needed
  };

  /** A service whose first `failures` starts exit at once; later ones stay up and are healthy. */
  function flaky(failures: number): NativeService {
    const attempts = join(dir, 'attempts');
    const healthy = join(dir, 'healthy');
    writeFileSync(attempts, '');
    return {
      name: 'minio',
      title: 'flaky service',
      ports: () => [],
      url: () => 'flaky://',
      install: async () => 'cached',
      prepare: async () => undefined,
      processSpec: () => ({
        name: 'minio',
        command: '/bin/sh',
        args: [
          '-c',
          `echo x >> ${attempts}; n=$(wc -l < ${attempts}); if [ "$n" -le ${failures} ]; then echo "bind: address already in use (start $n)" >&2; exit 1; fi; touch ${healthy}; sleep 60`,
          dir,
        ],
        cwd: dir,
        marker: dir,
      }),
      health: async () => {
        if (!existsSync(healthy)) throw new Error('not yet');
      },
    };
  }

  it('starts a service again when it exits while starting, and says it did', async () => {
    const events: UpEvent[] = [];
    await expect(upOne(flaky(2), ctx, supervisor, (e) => events.push(e))).resolves.toBe('started');
    expect(events.filter((e) => e.phase === 'starting').map((e) => e.attempt)).toEqual([undefined, 2, 3]);
    expect(supervisor.find('minio')).toBeDefined();
  });

  it('gives up after three starts with the exit code and the last lines it logged', async () => {
    const error: unknown = await upOne(flaky(3), ctx, supervisor, () => undefined).catch((e: unknown) => e);
    expect(isShelfStreamError(error, 'SERVICE_START_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/exited while starting \(exit code 1\)/);
    expect((error as Error).message).toContain('address already in use (start 3)');
    expect((error as Error).message).not.toContain('(start 2)');
  });
});
