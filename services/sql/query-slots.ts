/**
 * The bound on BI queries: at most `size` run at once, at most `queueLength` wait, and one
 * more is refused at once (a 503 the client can retry), so a burst of dashboards never piles
 * up work on the engine the stream processors share. Waiters are served first come, first
 * served.
 */
import { sqlError } from './clickhouse-errors';

export interface QuerySlots {
  /** Runs `work` when a slot is free; rejects at once when the queue is full or the slots are closed. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Queries running and waiting now. */
  readonly running: number;
  readonly waiting: number;
  /** Refuses new work, and resolves when the running and queued work has finished. */
  close(): Promise<void>;
}

export function createQuerySlots(size: number, queueLength: number): QuerySlots {
  let running = 0;
  let closed = false;
  const queue: (() => void)[] = [];
  let idle: (() => void) | undefined;

  function release(): void {
    const next = queue.shift();
    if (next) {
      next();
      return;
    }
    running--;
    if (running === 0 && idle) idle();
  }

  return {
    async run(work) {
      if (closed) throw sqlError('CANNOT_SCHEDULE_TASK', 'The SQL endpoint is shutting down. (CANNOT_SCHEDULE_TASK)');
      if (running >= size) {
        if (queue.length >= queueLength) {
          // A server answers 500 for this code; 503 tells clients and proxies that a retry may succeed.
          throw sqlError('TOO_MANY_SIMULTANEOUS_QUERIES', `Too many simultaneous queries: ${size} running and ${queue.length} waiting, the most the endpoint allows (SQL_POOL_SIZE, SQL_QUEUE_LENGTH). Retry later. (TOO_MANY_SIMULTANEOUS_QUERIES)`, { httpStatus: 503 });
        }
        // The slot is handed over by release(): running stays counted for the waiter.
        await new Promise<void>((resolve) => queue.push(resolve));
      } else {
        running++;
      }
      try {
        return await work();
      } finally {
        release();
      }
    },
    get running() {
      return running;
    },
    get waiting() {
      return queue.length;
    },
    close() {
      closed = true;
      if (running === 0) return Promise.resolve();
      return new Promise<void>((resolve) => (idle = resolve));
    },
  };
}
