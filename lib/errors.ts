import { types } from 'node:util';

/**
 * The small set of typed errors every ShelfStream module throws. Each carries a code from
 * `ERROR_CODES`, whether retrying can help (`canRetry`, read by the one retry policy in
 * ./retry.ts), its cause, and the context that matters to whoever handles it (topic,
 * partition, offset, event_id, store_id, service...). Errors are logged once, where handled.
 */
export const ERROR_CODES = [
  /** The environment holds an invalid setting. */
  'CONFIG_INVALID',
  /** A tool the native launcher needs (java, mvn, go) is missing or too old. */
  'PREREQUISITE_MISSING',
  /** Downloading or building a service failed. */
  'INSTALL_FAILED',
  /** A service did not become healthy in time, or exited while starting. */
  'SERVICE_START_FAILED',
  /** A service (Kafka, registry, ClickHouse, MinIO) did not answer. */
  'SERVICE_UNAVAILABLE',
  /** A port the launcher needs is held by a process it did not start. */
  'PORT_IN_USE',
  /** An existing topic differs from what the catalogue asks (partitions, cleanup policy). */
  'TOPIC_MISMATCH',
  /** An Avro schema file is not valid Avro or not where the catalogue says. */
  'SCHEMA_INVALID',
  /** The registry refused a schema change as incompatible. */
  'SCHEMA_INCOMPATIBLE',
  /** A migration failed to apply. */
  'MIGRATION_FAILED',
  /** An applied migration was edited afterwards: its checksum no longer matches. */
  'MIGRATION_CHANGED',
  /** A record could not be decoded (bad magic byte, unknown schema id, corrupt Avro). */
  'DECODE_FAILED',
  /** A record decoded but breaks the contract (missing field, impossible value). */
  'CONTRACT_VIOLATION',
  /** A record arrived after its window closed (watermark past its end plus the allowed lateness). */
  'LATE_EVENT',
  /** A command's arguments are wrong (an empty time range, an unknown processor). */
  'INVALID_ARGUMENT',
  /** An archived object is missing, unreadable or disagrees with its manifest. */
  'ARCHIVE_CORRUPT',
  /** A service refused our credentials (SASL, basic auth): retrying with the same ones cannot help. */
  'AUTHENTICATION_FAILED',
  /** A TLS peer could not be verified (untrusted CA, a name not in its certificate, expired). */
  'TLS_VERIFY_FAILED',
  /** A refreshable materialized view's refresh failed (its query, or the engine, refused it). */
  'VIEW_REFRESH_FAILED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes that describe a transient condition: a retry may succeed. */
const RETRIABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['SERVICE_UNAVAILABLE']);

export interface ErrorContext {
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
  readonly event_id?: string;
  readonly store_id?: string;
  readonly service?: string;
  readonly [key: string]: unknown;
}

export interface ShelfStreamErrorOptions {
  readonly cause?: unknown;
  readonly context?: ErrorContext;
  /** Overrides the code's default retriability. */
  readonly canRetry?: boolean;
}

export class ShelfStreamError extends Error {
  override readonly name = 'ShelfStreamError';
  readonly code: ErrorCode;
  readonly canRetry: boolean;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: ShelfStreamErrorOptions = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.canRetry = options.canRetry ?? RETRIABLE.has(code);
    this.context = options.context ?? {};
  }

  /** A plain object for pino's `err` serializer: code, retriability, context and cause chain. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      canRetry: this.canRetry,
      context: this.context,
      cause: this.cause instanceof Error ? { name: this.cause.name, message: this.cause.message } : this.cause,
    };
  }
}

export function isShelfStreamError(error: unknown, code?: ErrorCode): error is ShelfStreamError {
  return error instanceof ShelfStreamError && (code === undefined || error.code === code);
}

/**
 * The message of anything thrown, including the messages of its causes. An AggregateError
 * without a cause is followed into its first error: @platformatic/kafka reports a broker's
 * answer ("The broker received an out of order sequence number.") two AggregateErrors deep,
 * under "Producing messages failed.".
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  let siblings = 0;
  for (let depth = 0; current !== undefined && current !== null && depth < 6; depth++) {
    // isNativeError also knows errors of another realm (a library loaded outside Jest's sandbox).
    if (current instanceof Error || types.isNativeError(current)) {
      parts.push(siblings > 0 ? `${current.message} (and ${siblings} more)` : current.message);
      const errors = (current as { errors?: unknown }).errors;
      const inner = current.cause === undefined && Array.isArray(errors) ? (errors as unknown[]) : [];
      siblings = Math.max(0, inner.length - 1);
      current = current.cause ?? inner[0];
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.filter((p, i) => p && parts.indexOf(p) === i).join(': ');
}
