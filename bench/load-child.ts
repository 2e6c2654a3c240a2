/**
 * A bench load generator run in a child process (node's fork), so that its CPU and garbage are
 * not on the event loop and heap of the server it measures: in production the store systems and
 * the browsers are other machines. The same generator also runs in the bench's own process
 * (`inProcessLoad`), the baseline that shows what sharing the loop cost.
 *
 * A generator is a `prepare(args)` that gets ready (connects, launches, warms up: nothing of it
 * timed) and answers a `PreparedLoad`. Over IPC: the parent sends `prepare` with the arguments,
 * the child answers `ready`; `start` begins the timed load and `stop` ends it; the child answers
 * `done` with its samples (ms) once its load has ended (by `stop` or by itself) and exits.
 */
import { fork } from 'node:child_process';

/** A generator ready to run: run() loads until `until()` is true (or it is done) and answers its samples in ms. */
export interface PreparedLoad {
  run(until: () => boolean): Promise<number[]>;
  close(): Promise<void>;
  /** Figures beyond the samples, asked once the run has ended (where a generator splits its samples' time). */
  report?(): Record<string, number>;
}

export type PrepareLoad<A> = (args: A) => Promise<PreparedLoad>;

/** A prepared generator, in this process or a child: start() begins the timed load. */
export interface LoadHandle {
  start(): void;
  /** The samples once the load has ended by itself. */
  done(): Promise<number[]>;
  /** Ends the load; its samples (none when it never started: the generator is closed). */
  stop(): Promise<number[]>;
  /** The generator's report once its load has ended (empty when it has none). */
  report(): Promise<Record<string, number>>;
}

type ToChild<A> = { readonly kind: 'prepare'; readonly args: A } | { readonly kind: 'start' } | { readonly kind: 'stop' };
type ToParent = { readonly kind: 'ready' } | { readonly kind: 'done'; readonly samples: number[]; readonly report: Record<string, number> };

/** The generator run in this process, sharing its event loop with whatever else runs here. */
export async function inProcessLoad<A>(prepare: PrepareLoad<A>, args: A): Promise<LoadHandle> {
  const load = await prepare(args);
  let stopped = false;
  let running: Promise<number[]> | undefined;
  const done = async (): Promise<number[]> => {
    if (!running) throw new Error('load generator not started');
    try {
      return await running;
    } finally {
      await load.close();
    }
  };
  return {
    start: () => void (running ??= load.run(() => stopped)),
    done,
    report: async () => {
      await running;
      return load.report?.() ?? {};
    },
    stop: async () => {
      stopped = true;
      if (running) return done();
      await load.close();
      return [];
    },
  };
}

/**
 * The generator of `file` (a compiled module that calls `serveLoad` when it is the main module) in a child process; answers once it is ready.
 * @param execArgv Node and V8 flags the child takes beyond this process's own (e.g. `--single-threaded-gc`).
 */
export async function childLoad<A>(file: string, args: A, execArgv: readonly string[] = []): Promise<LoadHandle> {
  const child = fork(file, [], { env: process.env, stdio: 'inherit', execArgv: [...process.execArgv, ...execArgv] });
  let exited: ((code: number | null) => void) | undefined;
  const exit = new Promise<never>((_, reject) => {
    exited = (code) => reject(new Error(`load generator ${file} exited (${code}) before answering`));
  });
  exit.catch(() => undefined); // observed by whoever waits next
  child.once('exit', (code) => exited?.(code));
  const answer = <K extends ToParent['kind']>(kind: K): Promise<Extract<ToParent, { kind: K }>> =>
    Promise.race([
      new Promise<Extract<ToParent, { kind: K }>>((resolve) => {
        const listen = (m: ToParent): void => {
          if (m.kind !== kind) return;
          child.off('message', listen);
          resolve(m as Extract<ToParent, { kind: K }>);
        };
        child.on('message', listen);
      }),
      exit,
    ]);
  const ready = answer('ready');
  child.send({ kind: 'prepare', args } satisfies ToChild<A>);
  try {
    await ready;
  } catch (error) {
    child.kill();
    throw error;
  }
  const finished = answer('done');
  finished.catch(() => undefined); // observed by done() and stop()
  let started = false;
  return {
    start: () => {
      started = true;
      child.send({ kind: 'start' } satisfies ToChild<A>);
    },
    done: async () => (await finished).samples,
    report: async () => (await finished).report,
    stop: async () => {
      if (!started) {
        child.kill();
        return [];
      }
      if (child.connected) child.send({ kind: 'stop' } satisfies ToChild<A>);
      return (await finished).samples;
    },
  };
}

/** The child's side: a generator's file calls this when forked as the main module. */
export function serveLoad<A>(prepare: PrepareLoad<A>): void {
  const fail = (error: unknown): void => {
    process.stderr.write(`load generator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  };
  let load: PreparedLoad | undefined;
  let stopped = false;
  const send = (message: ToParent, then?: () => void): void => void process.send?.(message, undefined, {}, () => then?.());
  process.on('message', (message: ToChild<A>) => {
    if (message.kind === 'prepare') {
      prepare(message.args).then((prepared) => {
        load = prepared;
        send({ kind: 'ready' });
      }, fail);
    } else if (message.kind === 'start') {
      if (!load) return fail(new Error('start before prepare'));
      const prepared = load;
      prepared
        .run(() => stopped)
        .then(async (samples) => {
          await prepared.close();
          send({ kind: 'done', samples, report: prepared.report?.() ?? {} }, () => process.disconnect());
        })
        .catch(fail);
    } else {
      stopped = true;
    }
  });
}
