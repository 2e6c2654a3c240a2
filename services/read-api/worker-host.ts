/**
 * The read API in a worker thread of the process that owns the ClickHouse client: what `run all`
 * and `demo` start. The processors keep the owner's event loop busy (82% of it on the web bench,
 * with stalls of up to 240 ms), and every answer of the read API, cached or not, waited for it:
 * p99 267 ms against a target of 50. In the worker (./worker.ts) a cached answer never touches the
 * owner's loop; only queries (cache misses, background refreshes, a store's first check) come
 * here as messages, and run in the engine's lanes as they did (lib/engine-lanes.ts).
 *
 * The worker gets the read API's settings (plain data, parsed once here at start-up) and writes
 * its logs through the owner's logger. close() asks it to stop serving (requests in flight are
 * answered) and waits until the thread has exited.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../../lib/config';
import { ENGINE_LANES, type EngineLanes } from '../../lib/engine-lanes';
import { ShelfStreamError } from '../../lib/errors';
import { writeThreadLine, type Logger } from '../../lib/logger';
import { REPO_ROOT } from '../../lib/paths';
import type { ThreadStats } from '../../lib/thread-stats';
import { createReadQuerySource } from './queries';
import type { ReadApiService } from './serve';
import { answerQuery, fromWire, type ReadApiWorkerData, type ToOwner, type ToWorker } from './thread-messages';

const CLOSE_DEADLINE_MS = 30_000; // for the requests in flight to be answered, then the thread is stopped

/**
 * The compiled worker script: beside this module when it runs compiled, else in dist/ (tests run
 * the TypeScript sources, and a worker thread runs JavaScript only).
 */
function workerScript(): string {
  for (const script of [join(__dirname, 'worker.js'), join(REPO_ROOT, 'dist', 'services', 'read-api', 'worker.js')]) if (existsSync(script)) return script;
  throw new ShelfStreamError('SERVICE_START_FAILED', 'the read API worker is not built: run `make build` (or `npx tsc -p tsconfig.build.json`)', { context: { service: 'read-api' } });
}

/** What starts the read API, in this thread (./index.ts) or in a worker (below). */
export interface ReadApiStartOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly clickhouse: ClickHouseClient;
  /** The engine's lanes (lib/engine-lanes.ts); default: the process's own in embedded mode, none for a server. */
  readonly lanes?: EngineLanes;
}

export function lanesOf(options: ReadApiStartOptions): EngineLanes | undefined {
  return options.lanes ?? (options.config.clickhouse.mode === 'embedded' ? ENGINE_LANES : undefined);
}

/** The read API in its worker thread: also says how that thread fared (lib/thread-stats.ts). */
export interface ReadApiWorkerService extends ReadApiService {
  /** The worker thread's event loop, GC and scheduling since the previous call (the first call starts watching). */
  threadStats(): Promise<ThreadStats>;
  /** The worker's Linux thread id (/proc/<pid>/task/<id>: its scheduling policy and priority); undefined off Linux. */
  readonly threadId: number | undefined;
}

export async function startReadApiWorker(options: ReadApiStartOptions): Promise<ReadApiWorkerService> {
  const { config } = options;
  // The worker's lines name their component already (read-api): this says which thread wrote them.
  const log = options.logger.child({ thread: 'read-api-worker' });
  const lanes = lanesOf(options);
  const sources = {
    interactive: createReadQuerySource(options.clickhouse, config.clickhouse.database, lanes, 'interactive'),
    page: createReadQuerySource(options.clickhouse, config.clickhouse.database, lanes, 'page'),
  };
  const workerData: ReadApiWorkerData = { settings: { readApi: config.readApi, ingest: { apiKeysFile: config.ingest.apiKeysFile } }, logLevel: config.logLevel };
  const worker = new Worker(workerScript(), { workerData });
  const post = (message: ToWorker): void => worker.postMessage(message);
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));

  let listening: ((address: { url: string; port: number; threadId: number | undefined }) => void) | undefined;
  let failed: ((error: Error) => void) | undefined;
  const started = new Promise<{ url: string; port: number; threadId: number | undefined }>((resolve, reject) => {
    listening = resolve;
    failed = reject;
  });

  const statsWaiting = new Map<number, (stats: ThreadStats) => void>();
  let nextStatsId = 0;
  worker.on('message', (message: ToOwner) => {
    switch (message.kind) {
      case 'stats':
        statsWaiting.get(message.id)?.(message.stats);
        statsWaiting.delete(message.id);
        return;
      case 'query':
        return answerQuery(sources, message, post);
      case 'log':
        return writeThreadLine(log, message.line);
      case 'listening':
        return listening?.(message);
      case 'failed':
        return failed?.(fromWire(message.error));
    }
  });
  // An uncaught error ends the thread: logged here, once; a start still waiting fails with it.
  worker.on('error', (error) => {
    log.error({ err: error, component: 'read-api' }, 'the read API worker stopped on an error; the read API is down');
    failed?.(new ShelfStreamError('SERVICE_START_FAILED', 'the read API worker stopped on an error', { cause: error, context: { service: 'read-api' } }));
  });
  void exited.then((code) => failed?.(new ShelfStreamError('SERVICE_START_FAILED', `the read API worker exited (${code}) before it listened`, { context: { service: 'read-api' } })));

  let address: { url: string; port: number; threadId: number | undefined };
  try {
    address = await started;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: address.url,
    port: address.port,
    threadId: address.threadId,
    threadStats: () =>
      Promise.race([
        new Promise<ThreadStats>((resolve) => {
          const id = nextStatsId++;
          statsWaiting.set(id, resolve);
          post({ kind: 'stats', id });
        }),
        exited.then((code): never => {
          throw new ShelfStreamError('SERVICE_UNAVAILABLE', `the read API worker has exited (${code}): no thread to report on`, { context: { service: 'read-api' } });
        }),
      ]),
    close: () =>
      (closing ??= (async () => {
        post({ kind: 'close' });
        const deadline = new Promise<'late'>((resolve) => setTimeout(resolve, CLOSE_DEADLINE_MS, 'late').unref());
        // The thread ends once its server has closed, or has ended already on an error.
        if ((await Promise.race([exited, deadline])) === 'late') {
          log.warn({ component: 'read-api', deadline_ms: CLOSE_DEADLINE_MS }, 'the read API worker did not close in time; stopping it');
          await worker.terminate();
        }
      })()),
  };
}
