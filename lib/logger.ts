/**
 * pino JSON logs shared by every process. Each logger carries `service` (and, in processors,
 * `processor`); records about a message add `topic`, `partition`, `offset`.
 */
import { types } from 'node:util';
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly service: string;
  /** Where to write; defaults to stdout. The CLI passes stderr so stdout stays for results. */
  readonly destination?: pino.DestinationStream;
  /** Values that must never be written (the configuration's secrets: `secretValues(config)`). */
  readonly secrets?: readonly string[];
}

const CENSOR = '[redacted]';

/** Fields that hold a secret wherever a configuration or a client's options are logged. */
const REDACTED_PATHS = [
  'password',
  'secretKey',
  'keyPassword',
  'passphrase',
  '*.password',
  '*.secretKey',
  '*.keyPassword',
  '*.passphrase',
  '*.*.password',
  '*.*.keyPassword',
  'headers.authorization',
  '*.headers.authorization',
];

/**
 * Replaces every secret value in a finished log line, in its raw and its JSON-escaped form:
 * the last line of defence for what paths cannot name (a client library's error message that
 * quotes a URL or an option).
 */
export function scrubSecrets(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const secret of secrets) {
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) {
      if (out.includes(form)) out = out.split(form).join(CENSOR);
    }
  }
  return out;
}

/**
 * pino's error serializer, except for an error another thread's logger already serialized (the
 * read API worker sends finished lines; the owner writes them through this logger): that one is
 * plain data with its `type`, and serializing it again would name its type "Object".
 */
export function serializeError(value: unknown): unknown {
  if (isSerializedError(value)) return value;
  const serialized = pino.stdSerializers.err(value as Error);
  // pino appends every cause's message to the error's own. An error whose message already
  // names its cause (ours say "Kafka did not acknowledge the batch: <describeError(cause)>")
  // would then say it twice; its own message is kept as it is.
  const error = value as Error;
  const cause = (error as { cause?: unknown } | null)?.cause;
  // isNativeError: a cause from a library loaded in another realm (outside Jest's sandbox) counts too.
  if (types.isNativeError(error) && types.isNativeError(cause) && error.message.includes(cause.message)) serialized.message = error.message;
  return serialized;
}

function isSerializedError(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const fields = value as Record<string, unknown>;
  return typeof fields.type === 'string' && typeof fields.message === 'string';
}

export function createLogger(options: LoggerOptions): Logger {
  // Longest first, so a secret that contains another is replaced whole.
  const secrets = [...(options.secrets ?? [])].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError },
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
      ...(secrets.length > 0 ? { hooks: { streamWrite: (line: string) => scrubSecrets(line, secrets) } } : {}),
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

const THREAD_LOG_METHODS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
type ThreadLogMethod = (typeof THREAD_LOG_METHODS)[number];

/**
 * The logger of a worker thread: finished lines go to `write` (a message to the owner thread),
 * and the owner writes them through its own logger (writeThreadLine), which adds the time, the
 * service, the redaction of secrets and the destination. A worker never writes to the process's
 * streams itself.
 */
export function threadLogger(level: LogLevel, write: (line: string) => void): Logger {
  return pino(
    { level, base: undefined, timestamp: false, serializers: { err: serializeError }, formatters: { level: (label) => ({ level: label }) } },
    { write },
  );
}

/** Writes a line of a worker's threadLogger through the owner's `log`. */
export function writeThreadLine(log: Logger, line: string): void {
  const { level, msg, ...fields } = JSON.parse(line) as { level: string; msg?: string } & Record<string, unknown>;
  if ((THREAD_LOG_METHODS as readonly string[]).includes(level)) log[level as ThreadLogMethod](fields, msg);
}
