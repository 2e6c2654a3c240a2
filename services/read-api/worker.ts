/**
 * The read API's worker thread (started by ./worker-host.ts for `run all`, `demo` and `serve
 * read-api`). It serves HTTP, checks keys, and keeps the answer cache and the known stores, so a
 * cached answer is written without the owner's event loop, which the processors keep busy (82%
 * on the web bench). Queries go to the thread that owns the ClickHouse client (embedded
 * ClickHouse has one owner) as messages (./thread-messages.ts). The settings come from the owner, parsed once there; logs
 * go to the owner's logger as finished lines.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { threadLogger, type Logger } from '../../lib/logger';
import { makeThisThreadRealtime, reniceThisThread, thisThreadId } from '../../lib/thread-priority';
import { watchThread } from '../../lib/thread-stats';
import { rememberKnownStores } from './known-stores';
import { serveReadApi, type ReadApiService } from './serve';
import { remoteQuerySource, toWire, type ReadApiWorkerData, type ToOwner, type ToWorker } from './thread-messages';

/**
 * The thread's place in the CPU queue: its nice value, then real-time scheduling when asked for
 * (which outranks nice; the nice value stays for where real time is refused). Each refusal is
 * logged at info, not as a warning: the defaults ask for both, and a non-root install (no
 * CAP_SYS_NICE) is refused on every start; the API still answers, only its place in the queue is
 * unchanged.
 */
function raiseThisThread(settings: { readonly threadNice: number; readonly threadRtPriority: number }, logger: Logger): void {
  const { threadNice: nice, threadRtPriority: rtPriority } = settings;
  if (nice !== 0) {
    const reniced = reniceThisThread(nice);
    if (reniced.applied) logger.info({ component: 'read-api', nice }, 'read API thread reniced');
    else logger.info({ component: 'read-api', nice, reason: reniced.reason }, 'the read API thread keeps its priority (READ_API_THREAD_NICE needs CAP_SYS_NICE)');
  }
  if (rtPriority !== 0) {
    const realtime = makeThisThreadRealtime(rtPriority);
    if (realtime.applied) logger.info({ component: 'read-api', rtPriority, policy: 'SCHED_RR' }, 'read API thread under real-time scheduling');
    else logger.info({ component: 'read-api', rtPriority, reason: realtime.reason }, 'the read API thread stays under the ordinary scheduler (READ_API_THREAD_RT_PRIORITY needs CAP_SYS_NICE and chrt)');
  }
}

function main(port: NonNullable<typeof parentPort>, data: ReadApiWorkerData): void {
  const post = (message: ToOwner): void => port.postMessage(message);
  // Timestamp and service are the owner's to add: it writes the line through its own logger.
  const logger = threadLogger(data.logLevel, (line) => post({ kind: 'log', line }));
  raiseThisThread(data.settings.readApi, logger);
  const remote = remoteQuerySource(post);
  const recheck = remote.source('page');
  const queries = rememberKnownStores(remote.source('interactive'), (store) => recheck.storeExists(store));
  const refreshQueries = rememberKnownStores(recheck, (store) => recheck.storeExists(store));
  const started = serveReadApi({ settings: data.settings, logger, queries, refreshQueries });
  started.then(
    (service) => post({ kind: 'listening', url: service.url, port: service.port, threadId: thisThreadId() }),
    (error: unknown) => {
      post({ kind: 'failed', error: toWire(error) });
      port.close();
    },
  );
  let closing = false;
  // Watched from the first ask on (the web bench asks at a phase's start and end): nothing runs until then.
  let watched: ReturnType<typeof watchThread> | undefined;
  port.on('message', (message: ToWorker) => {
    if (message.kind === 'answer') return remote.settle(message);
    if (message.kind === 'stats') return post({ kind: 'stats', id: message.id, stats: (watched ??= watchThread()).take() });
    if (closing) return;
    closing = true;
    // Closing waits for the requests in flight, whose queries the owner still answers.
    void started
      .then(
        (service: ReadApiService) => service.close().catch((error: unknown) => logger.error({ component: 'read-api', err: error }, 'the read API did not close cleanly')),
        () => undefined, // a start that failed was reported as `failed`
      )
      .finally(() => {
        watched?.stop();
        port.close(); // nothing else keeps the thread alive: it exits
      });
  });
}

if (parentPort) main(parentPort, workerData as ReadApiWorkerData);
