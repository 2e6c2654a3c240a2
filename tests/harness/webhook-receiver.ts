/**
 * The reference webhook receiver for alert tests: tests/receivers/standard_webhooks_receiver.py,
 * which verifies every request with the `standardwebhooks` package from PyPI, started on a free
 * loopback port and stopped with the test file.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { registerCleanup } from './fixtures';
import { pythonWith } from './python';

const RECEIVERS = join(__dirname, '..', 'receivers');

export interface ReceiverOptions {
  readonly secrets: readonly string[];
  /** Statuses per webhook-id: its first request gets the first, later ones the next, the last repeating; default 200. */
  readonly statuses?: readonly number[];
  readonly delayMs?: number;
  /** How many of the first requests wait `delayMs` before answering (a receiver that times out, then recovers); default all. */
  readonly slowRequests?: number;
  readonly retryAfterS?: number;
}

export interface ReceivedRequest {
  readonly webhook_id: string;
  readonly webhook_timestamp: string;
  readonly signatures: number;
  /** One entry per configured secret: whether the reference library verified the request with it. */
  readonly verified: readonly boolean[];
  readonly body: string;
  readonly status: number;
  readonly at_ms: number;
}

export interface ReferenceReceiver {
  readonly url: string;
  received(): Promise<ReceivedRequest[]>;
  /** Replaces the secrets it verifies with, from the next request on. */
  setSecrets(secrets: readonly string[]): Promise<void>;
}

export async function startReferenceReceiver(options: ReceiverOptions): Promise<ReferenceReceiver> {
  const runtime = pythonWith(join(RECEIVERS, 'requirements.txt'));
  const config = { secrets: options.secrets, statuses: options.statuses ?? [200], delay_ms: options.delayMs ?? 0, slow_requests: options.slowRequests ?? null, retry_after: options.retryAfterS ?? null };
  const child = spawn(runtime.python, [join(RECEIVERS, 'standard_webhooks_receiver.py'), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...runtime.env } });
  registerCleanup(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /^LISTENING (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the reference receiver exited with ${code} before listening`)));
  });
  const url = `http://127.0.0.1:${port}/hooks`;
  return {
    url,
    received: async () => (await (await fetch(`http://127.0.0.1:${port}/received`)).json()) as ReceivedRequest[],
    setSecrets: async (secrets) => {
      await fetch(`http://127.0.0.1:${port}/secrets`, { method: 'PUT', body: JSON.stringify(secrets) });
    },
  };
}
