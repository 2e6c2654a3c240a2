/**
 * One HTTP attempt of one webhook: POST the body with its signature headers, within a timeout,
 * through the destination guard's `lookup`, and say what happened in terms the retry policy
 * reads (status, Retry-After, a short excerpt of the answer, the error). It never throws: a
 * failed attempt is an outcome to log and schedule, not an exception.
 *
 * Connections are kept alive (one pool per scheme) because a subscriber receives bursts; a
 * reused connection was checked by the guard when it was opened.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { describeError } from '../../lib/errors';

/** Enough of an answer to tell a subscriber's error page from another, small enough to log. */
export const RESPONSE_EXCERPT_BYTES = 512;

export interface AttemptRequest {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
}

export interface AttemptOutcome {
  /** HTTP status, or 0 when no answer came (connection refused, timeout, refused address). */
  readonly status: number;
  readonly latencyMs: number;
  readonly retryAfterMs: number | undefined;
  readonly responseExcerpt: string;
  readonly error: string | undefined;
  readonly timedOut: boolean;
}

/** Retry-After as seconds or as an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export interface WebhookSender {
  send(request: AttemptRequest): Promise<AttemptOutcome>;
  close(): void;
}

export function createWebhookSender(options: { lookup: LookupFunction; maxSocketsPerHost: number; userAgent: string }): WebhookSender {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSocketsPerHost, lookup: options.lookup };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);

  function send(attempt: AttemptRequest): Promise<AttemptOutcome> {
    const started = performance.now();
    const isHttps = attempt.url.protocol === 'https:';
    return new Promise<AttemptOutcome>((resolve) => {
      let settled = false;
      let timedOut = false;
      const finish = (outcome: Omit<AttemptOutcome, 'latencyMs' | 'timedOut'>): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...outcome, latencyMs: Math.round(performance.now() - started), timedOut });
      };
      const req = (isHttps ? httpsRequest : httpRequest)(
        attempt.url,
        {
          method: 'POST',
          agent: isHttps ? https : http,
          lookup: options.lookup,
          headers: { ...attempt.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(attempt.body), 'user-agent': options.userAgent },
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < RESPONSE_EXCERPT_BYTES) chunks.push(chunk);
            size += chunk.length;
          });
          const done = (): void =>
            finish({
              status: res.statusCode ?? 0,
              retryAfterMs: parseRetryAfter(res.headers['retry-after'], Date.now()),
              responseExcerpt: Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8'),
              error: undefined,
            });
          res.on('end', done);
          res.on('error', done);
        },
      );
      // The whole attempt (connect, send, answer) within the timeout, not each socket read.
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new Error(`no answer within ${attempt.timeoutMs} ms`));
      }, attempt.timeoutMs);
      req.on('error', (error) => finish({ status: 0, retryAfterMs: undefined, responseExcerpt: '', error: describeError(error) }));
      req.end(attempt.body);
    });
  }

  return {
    send,
    close: () => {
      http.destroy();
      https.destroy();
    },
  };
}
