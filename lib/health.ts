/**
 * The operational HTTP endpoint every long-running process exposes:
 *   GET /healthz  liveness: the event loop answers (200) — restart the process if not;
 *   GET /readyz   readiness: every dependency check passes (200) or not (503, with which);
 *   GET /metrics  Prometheus text format from the process's registry.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { describeError } from './errors';

export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when healthy; rejects (with the reason) when not. */
  readonly check: () => Promise<void>;
}

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
  readonly ms: number;
}

export async function runChecks(checks: readonly ReadinessCheck[], timeoutMs: number): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async ({ name, check }) => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return { name, ok: true, ms: Math.round(performance.now() - started) };
      } catch (error) {
        return { name, ok: false, detail: describeError(error), ms: Math.round(performance.now() - started) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

export interface OpsEndpointOptions {
  readonly host: string;
  /** 0 picks a free port; read it back from `address()`. */
  readonly port: number;
  readonly registry: Registry;
  readonly readiness: readonly ReadinessCheck[];
  readonly checkTimeoutMs?: number;
}

export interface OpsEndpoint {
  readonly server: Server;
  address(): { host: string; port: number };
  /** Marks the process as shutting down: readiness fails at once so load balancers drain it. */
  drain(): void;
  close(): Promise<void>;
}

export async function startOpsEndpoint(options: OpsEndpointOptions): Promise<OpsEndpoint> {
  let draining = false;
  const timeoutMs = options.checkTimeoutMs ?? 2_000;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown, type = 'application/json'): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: 'method not allowed' });
    if (path === '/healthz') return send(200, { status: 'ok' });
    if (path === '/readyz') {
      if (draining) return send(503, { status: 'draining', checks: [] });
      void runChecks(options.readiness, timeoutMs).then(
        (checks) => send(checks.every((c) => c.ok) ? 200 : 503, { status: checks.every((c) => c.ok) ? 'ready' : 'not ready', checks }),
        (error: unknown) => send(500, { status: 'error', detail: describeError(error) }),
      );
      return;
    }
    if (path === '/metrics') {
      void options.registry.metrics().then(
        (text) => send(200, text, options.registry.contentType),
        (error: unknown) => send(500, { error: describeError(error) }),
      );
      return;
    }
    return send(404, { error: `no route ${path}; try /healthz, /readyz or /metrics` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    address: () => {
      const a = server.address() as AddressInfo;
      return { host: a.address, port: a.port };
    },
    drain: () => {
      draining = true;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
