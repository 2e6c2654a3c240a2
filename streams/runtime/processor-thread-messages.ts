/**
 * What the processors' worker thread (./processor-thread-worker.ts) and its owner
 * (./processor-thread.ts) say to each other. Plain data: it crosses threads by structured clone.
 */
import type { MessagePort } from 'node:worker_threads';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { Config } from '../../lib/config';
import type { ProcessorName } from '../processors';

/** One processor to run in the thread, and what `shelfstream stream` would pass it. */
export interface ThreadProcessor {
  readonly name: ProcessorName;
  /** Catalogue topic -> stand-in topic, for its inputs and outputs. */
  readonly topics?: Readonly<Record<string, string>>;
  readonly groupId?: string;
  /** Database of its tables; the configured one by default. */
  readonly database?: string;
  readonly stopWhenIdleMs?: number;
}

export interface ProcessorThreadData {
  readonly config: Config;
  readonly processors: readonly ThreadProcessor[];
  /** The `service` label of the thread's metrics (the owner's, so their series add up). */
  readonly service: string;
  /** Embedded ClickHouse: the owner's connection, served on this port (lib/clients/clickhouse-port.ts). */
  readonly clickhousePort?: MessagePort;
}

export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

export type ToThread =
  | { readonly kind: 'stop'; readonly name: string }
  | { readonly kind: 'flush'; readonly id: number; readonly name: string }
  | { readonly kind: 'metrics'; readonly id: number }
  | { readonly kind: 'close' };

export type FromThread =
  | { readonly kind: 'log'; readonly line: string }
  | { readonly kind: 'started'; readonly name: string; readonly inputs: readonly string[]; readonly tables: readonly string[] }
  | { readonly kind: 'ready' }
  | { readonly kind: 'failed'; readonly error: WireError }
  | { readonly kind: 'stopped'; readonly name: string }
  | { readonly kind: 'flushed'; readonly id: number; readonly error?: WireError }
  | { readonly kind: 'metrics'; readonly id: number; readonly metrics: MetricObjectWithValues<MetricValue<string>>[] };

export function toWireError(error: unknown): WireError {
  const code = (error as { code?: unknown } | undefined)?.code;
  return {
    name: error instanceof Error ? error.name : 'Error',
    message: error instanceof Error ? error.message : String(error),
    ...(typeof code === 'string' ? { code } : {}),
  };
}
