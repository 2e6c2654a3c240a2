/**
 * Stream processors in a worker thread of the process that owns the ClickHouse client: what
 * `run all` and `demo` start. The SQL endpoint, the web app and the engine's own calls share the
 * owner's event loop, and the processors held it for up to 450-590 ms at a time while catching
 * up (kafkajs decoding a fetch of 4-16 MiB in one go, a batch's record loop, a flush's punctuation
 * and row encoding): a BI query that arrived meanwhile waited that long (`make bench
 * BENCH=bi-query`, 2026-12-07: every query over 100 ms was one issued during the processor's run).
 * In the worker (./processor-thread-worker.ts) all of that runs on the worker's loop; only the
 * engine calls come to the owner, as messages (lib/clients/clickhouse-port.ts), and run on the
 * owner's connection as the processors' calls did before.
 *
 * What the owner gets back is what `startProcessor` gives: a RunningProcessor per processor
 * (stop, flush, stopped), and the processors' metrics in the owner's registry (its /metrics and
 * metricTotal see them). The worker ends once every processor has stopped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { embeddedConnectionOf, type ClickHouseClient } from '../../lib/clients/clickhouse';
import { serveConnectionOnPort } from '../../lib/clients/clickhouse-port';
import type { Config } from '../../lib/config';
import { ShelfStreamError } from '../../lib/errors';
import { writeThreadLine, type Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/metrics';
import { REPO_ROOT } from '../../lib/paths';
import type { RunningProcessor } from './runner';
import type { FromThread, ProcessorThreadData, ThreadProcessor, ToThread, WireError } from './processor-thread-messages';

export type { ThreadProcessor } from './processor-thread-messages';

/** How long the thread may take to end once every processor stopped, before it is stopped. */
const EXIT_DEADLINE_MS = 10_000;

/** The compiled worker script: beside this module when compiled, else in dist/ (tests run the TypeScript sources). */
function workerScript(): string {
  for (const script of [join(__dirname, 'processor-thread-worker.js'), join(REPO_ROOT, 'dist', 'streams', 'runtime', 'processor-thread-worker.js')]) if (existsSync(script)) return script;
  throw new ShelfStreamError('SERVICE_START_FAILED', 'the processors\' worker is not built: run `make build` (or `npx tsc -p tsconfig.build.json`)', { context: { service: 'stream' } });
}

function fromWire(error: WireError, what: string): ShelfStreamError {
  const cause = Object.assign(new Error(error.message), { name: error.name }, error.code === undefined ? {} : { code: error.code });
  return new ShelfStreamError('SERVICE_START_FAILED', `${what}: ${error.message}`, { cause, context: { service: 'stream' } });
}

export interface ProcessorThreadDeps {
  readonly config: Config;
  readonly logger: Logger;
  /** The owner's client: in embedded mode the worker's engine calls run on its connection. */
  readonly clickhouse: ClickHouseClient;
  /** The owner's metrics: the processors' metrics are added to its registry. */
  readonly metrics: Metrics;
  /** The `service` label of the processors' metrics; the owner's, so their series add up. */
  readonly service: string;
}

/**
 * Starts `processors` in one worker thread, in order, and resolves once all have started (or
 * rejects with the first start that failed, those started before it stopped).
 */
export async function startProcessorsInThread(deps: ProcessorThreadDeps, processors: readonly ThreadProcessor[]): Promise<RunningProcessor[]> {
  const log = deps.logger.child({ thread: 'processors' });
  const connection = deps.config.clickhouse.mode === 'embedded' ? embeddedConnectionOf(deps.clickhouse) : undefined;
  if (deps.config.clickhouse.mode === 'embedded' && !connection) {
    throw new ShelfStreamError('SERVICE_START_FAILED', 'the processors\' thread needs the embedded client made by createClickHouse', { context: { service: 'stream' } });
  }
  const channel = connection ? new MessageChannel() : undefined;
  if (channel && connection) serveConnectionOnPort(channel.port1, connection);
  const data: ProcessorThreadData = { config: deps.config, processors, service: deps.service, ...(channel ? { clickhousePort: channel.port2 } : {}) };
  const worker = new Worker(workerScript(), { workerData: data, transferList: channel ? [channel.port2] : [] });
  const post = (message: ToThread): void => worker.postMessage(message);
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  let ended = false;
  void exited.then(() => {
    ended = true;
    channel?.port1.close();
  });

  const stoppedWaiters = new Map<string, () => void>();
  const stopped = new Map<string, Promise<void>>(processors.map((p) => [p.name, new Promise<void>((resolve) => stoppedWaiters.set(p.name, resolve))]));
  const requests = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 0;
  const ask = <T>(message: (id: number) => ToThread): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (ended) return reject(new ShelfStreamError('SERVICE_UNAVAILABLE', "the processors' thread has exited", { context: { service: 'stream' } }));
      const id = nextId++;
      requests.set(id, { resolve: resolve as (value: unknown) => void, reject });
      post(message(id));
    });

  let ready: (() => void) | undefined;
  let failed: ((error: Error) => void) | undefined;
  const started = new Promise<void>((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  worker.on('message', (message: FromThread) => {
    switch (message.kind) {
      case 'log':
        return writeThreadLine(log, message.line);
      case 'started':
        return log.info({ processor: message.name, inputs: message.inputs, tables: message.tables }, 'processor started in the processors\' thread');
      case 'ready':
        return ready?.();
      case 'failed':
        return failed?.(fromWire(message.error, 'a processor did not start'));
      case 'stopped':
        return stoppedWaiters.get(message.name)?.();
      case 'flushed': {
        const request = requests.get(message.id);
        requests.delete(message.id);
        if (message.error) request?.reject(fromWire(message.error, 'the flush failed'));
        else request?.resolve(undefined);
        return;
      }
      case 'metrics':
        requests.get(message.id)?.resolve(message.metrics);
        requests.delete(message.id);
        return;
    }
  });
  // An uncaught error ends the thread: logged here, once.
  worker.on('error', (error) => log.error({ err: error }, 'the processors\' thread stopped on an error; its processors are down'));
  void exited.then((code) => {
    failed?.(new ShelfStreamError('SERVICE_START_FAILED', `the processors' thread exited (${code}) before they started`, { context: { service: 'stream' } }));
    for (const waiter of stoppedWaiters.values()) waiter();
    for (const request of requests.values()) request.reject(new ShelfStreamError('SERVICE_UNAVAILABLE', `the processors' thread has exited (${code})`, { context: { service: 'stream' } }));
    requests.clear();
  });

  // The thread's figures; once it has ended, its last ones (a summary after the stop reads them).
  let lastMetrics: Awaited<ReturnType<Metrics['registry']['getMetricsAsJSON']>> = [];
  const threadMetrics = async (): Promise<typeof lastMetrics> => (ended ? lastMetrics : (lastMetrics = await ask<typeof lastMetrics>((id) => ({ kind: 'metrics', id })).catch(() => lastMetrics)));
  deps.metrics.registry.addSource(threadMetrics);
  let closing: Promise<void> | undefined;
  // Every processor stopped: the thread's last figures are kept, and the thread ends.
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await Promise.all(stopped.values());
      await threadMetrics();
      post({ kind: 'close' });
      const deadline = new Promise<'late'>((resolve) => setTimeout(resolve, EXIT_DEADLINE_MS, 'late').unref());
      if ((await Promise.race([exited, deadline])) === 'late') {
        log.warn({ deadline_ms: EXIT_DEADLINE_MS }, 'the processors\' thread did not end in time; stopping it');
        await worker.terminate();
      }
    })());
  void Promise.all(stopped.values()).then(close);

  try {
    await started;
  } catch (error) {
    await close();
    throw error;
  }
  return processors.map((p): RunningProcessor => ({
    name: p.name,
    stopped: stopped.get(p.name)!,
    async stop() {
      if (!ended) post({ kind: 'stop', name: p.name });
      await stopped.get(p.name);
    },
    flush: () => ask<void>((id) => ({ kind: 'flush', id, name: p.name })),
  }));
}
