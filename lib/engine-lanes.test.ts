import { createEngineLanes } from './engine-lanes';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A task that records when it starts and finishes when released. */
function gated(log: string[], name: string): { work: () => Promise<string>; release: () => void } {
  let release: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (release = resolve));
  return {
    work: async () => {
      log.push(`start ${name}`);
      await done;
      return name;
    },
    release: () => release(),
  };
}

describe('engine lanes', () => {
  it('runs queued work one at a time, pages before refreshes', async () => {
    const lanes = createEngineLanes({ queuedConcurrency: 1, maxDeferMs: 1_000 });
    const log: string[] = [];
    const [r1, r2, p1] = [gated(log, 'refresh 1'), gated(log, 'refresh 2'), gated(log, 'page 1')];
    const all = Promise.all([lanes.run('refresh', r1.work), lanes.run('refresh', r2.work), lanes.run('page', p1.work)]);
    await tick();
    expect(log).toEqual(['start refresh 1']);
    expect(lanes.waiting).toBe(2);
    r1.release();
    await tick();
    expect(log).toEqual(['start refresh 1', 'start page 1']);
    p1.release();
    await tick();
    r2.release();
    expect(await all).toEqual(['refresh 1', 'refresh 2', 'page 1']);
    expect(log[2]).toBe('start refresh 2');
  });

  it('holds queued work while interactive work runs, and starts it when that ends', async () => {
    const lanes = createEngineLanes({ queuedConcurrency: 1, maxDeferMs: 60_000 });
    const log: string[] = [];
    const api = gated(log, 'api');
    const refresh = gated(log, 'refresh');
    const apiDone = lanes.run('interactive', api.work);
    const refreshDone = lanes.run('refresh', refresh.work);
    await tick();
    expect(log).toEqual(['start api']);
    api.release();
    await apiDone;
    await tick();
    expect(log).toEqual(['start api', 'start refresh']);
    refresh.release();
    expect(await refreshDone).toBe('refresh');
  });

  it('never makes interactive work wait, even with queued work running', async () => {
    const lanes = createEngineLanes({ queuedConcurrency: 1, maxDeferMs: 60_000 });
    const log: string[] = [];
    const page = gated(log, 'page');
    const pageDone = lanes.run('page', page.work);
    await tick();
    expect(await lanes.run('interactive', async () => 'api')).toBe('api');
    page.release();
    expect(await pageDone).toBe('page');
  });

  it('starts queued work past maxDeferMs even while interactive work goes on', async () => {
    let clock = 0;
    const lanes = createEngineLanes({ queuedConcurrency: 1, maxDeferMs: 20, now: () => clock });
    const log: string[] = [];
    const api = gated(log, 'api');
    const apiDone = lanes.run('interactive', api.work);
    const pageDone = lanes.run('page', async () => 'page');
    await tick();
    expect(lanes.waiting).toBe(1);
    clock = 20;
    // The lanes look again on a real timer of maxDeferMs.
    const deadline = Date.now() + 2_000;
    while (lanes.waiting > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await pageDone).toBe('page');
    expect(lanes.interactive).toBe(1);
    api.release();
    await apiDone;
  });
});
