import { createQuerySlots } from './query-slots';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('query slots', () => {
  it('runs at most size at once, queues up to queueLength, refuses the next with 503 at once', async () => {
    const slots = createQuerySlots(1, 1);
    const gate = deferred();
    const order: string[] = [];
    const first = slots.run(async () => {
      order.push('first');
      await gate.promise;
    });
    const second = slots.run(async () => {
      order.push('second');
    });
    await expect(slots.run(async () => undefined)).rejects.toMatchObject({ code: 202, httpStatus: 503 });
    expect([slots.running, slots.waiting, order]).toEqual([1, 1, ['first']]);
    gate.resolve();
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    expect([slots.running, slots.waiting]).toEqual([0, 0]);
  });
  it('frees the slot when work fails', async () => {
    const slots = createQuerySlots(1, 0);
    await expect(slots.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(slots.run(async () => 42)).resolves.toBe(42);
  });
  it('refuses new work once closed, after the running work ends', async () => {
    const slots = createQuerySlots(1, 0);
    const gate = deferred();
    const running = slots.run(() => gate.promise);
    const closed = slots.close();
    await expect(slots.run(async () => 1)).rejects.toMatchObject({ code: 439 });
    gate.resolve();
    await running;
    await closed;
  });
});
