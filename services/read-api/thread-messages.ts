/**
 * What the read API's worker thread and the thread that owns the ClickHouse client say to each
 * other (./worker.ts, ./worker-host.ts). The worker serves HTTP and keeps the answer cache and
 * the known stores; every query goes to the owner, which runs it in its engine lane and answers.
 * Everything crosses by structured clone: plain data, errors as their code and message.
 */
import type { LogLevel } from '../../lib/config';
import { ShelfStreamError, describeError, isShelfStreamError, type ErrorCode } from '../../lib/errors';
import type { ThreadStats } from '../../lib/thread-stats';
import type { ReadQuerySource } from './queries';
import type { ReadApiSettings } from './serve';

/** The lane of a query on the owner's side: a store system waiting, or a refresh nobody waits on. */
export type QueryLane = 'interactive' | 'page';
export type QueryMethod = keyof ReadQuerySource;

export interface ReadApiWorkerData {
  readonly settings: ReadApiSettings;
  readonly logLevel: LogLevel;
}

export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly canRetry: boolean;
  readonly context: Record<string, unknown>;
}

export type ToOwner =
  /** `threadId`: the worker's Linux thread id (undefined off Linux), where its scheduling can be read back. */
  | { readonly kind: 'listening'; readonly url: string; readonly port: number; readonly threadId: number | undefined }
  | { readonly kind: 'failed'; readonly error: WireError }
  | { readonly kind: 'query'; readonly id: number; readonly lane: QueryLane; readonly method: QueryMethod; readonly args: readonly unknown[] }
  /** A finished pino line of the worker's logger, written by the owner's logger. */
  | { readonly kind: 'log'; readonly line: string }
  /** The worker thread's loop, GC and scheduling since the previous ask (lib/thread-stats.ts). */
  | { readonly kind: 'stats'; readonly id: number; readonly stats: ThreadStats };

export type ToWorker =
  | { readonly kind: 'answer'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'answer'; readonly id: number; readonly error: WireError }
  | { readonly kind: 'stats'; readonly id: number }
  | { readonly kind: 'close' };

export function toWire(error: unknown): WireError {
  if (isShelfStreamError(error)) {
    // The context through JSON: whatever a client put there may not survive a structured clone.
    return { code: error.code, message: error.message, canRetry: error.canRetry, context: JSON.parse(JSON.stringify(error.context)) as Record<string, unknown> };
  }
  return { code: 'SERVICE_UNAVAILABLE', message: `ClickHouse did not answer the read API's query: ${describeError(error)}`, canRetry: true, context: {} };
}

export function fromWire(error: WireError): ShelfStreamError {
  return new ShelfStreamError(error.code, error.message, { canRetry: error.canRetry, context: error.context });
}

/**
 * The worker's side: a query source whose every call is a message to the owner, answered by id.
 * @param post sends a message to the owner; the answers arrive through `settle`.
 */
export function remoteQuerySource(post: (message: ToOwner) => void): { source: (lane: QueryLane) => ReadQuerySource; settle: (answer: Extract<ToWorker, { kind: 'answer' }>) => void } {
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  const call = (lane: QueryLane, method: QueryMethod, args: readonly unknown[]): Promise<never> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      post({ kind: 'query', id, lane, method, args });
    });
  const source = (lane: QueryLane): ReadQuerySource => ({
    storeExists: (...args) => call(lane, 'storeExists', args),
    forecasts: (...args) => call(lane, 'forecasts', args),
    reorderAdvice: (...args) => call(lane, 'reorderAdvice', args),
    atRisk: (...args) => call(lane, 'atRisk', args),
    alerts: (...args) => call(lane, 'alerts', args),
    insightFigures: (...args) => call(lane, 'insightFigures', args),
  });
  return {
    source,
    settle: (answer) => {
      const call = waiting.get(answer.id);
      waiting.delete(answer.id);
      if (!call) return;
      if ('error' in answer) call.reject(fromWire(answer.error));
      else call.resolve(answer.value);
    },
  };
}

/** The owner's side: runs a worker's query on its own sources and posts the answer. */
export function answerQuery(sources: Record<QueryLane, ReadQuerySource>, query: Extract<ToOwner, { kind: 'query' }>, post: (message: ToWorker) => void): void {
  const run = sources[query.lane][query.method] as (...args: readonly unknown[]) => Promise<unknown>;
  run(...query.args).then(
    (value) => post({ kind: 'answer', id: query.id, value }),
    (error: unknown) => post({ kind: 'answer', id: query.id, error: toWire(error) }),
  );
}
