import { createMetrics } from './metrics';
import { startOpsEndpoint, type OpsEndpoint } from './health';

describe('ops endpoint', () => {
  let endpoint: OpsEndpoint;
  let healthy = true;
  const base = (): string => `http://127.0.0.1:${endpoint.address().port}`;

  beforeAll(async () => {
    const metrics = createMetrics('test', { collectDefaults: false });
    metrics.counter('events_in_total', 'events read').inc(3);
    endpoint = await startOpsEndpoint({
      host: '127.0.0.1',
      port: 0,
      registry: metrics.registry,
      readiness: [
        { name: 'kafka', check: async () => undefined },
        {
          name: 'clickhouse',
          check: async () => {
            if (!healthy) throw new Error('connection refused');
          },
        },
      ],
    });
  });
  afterAll(() => endpoint.close());

  it('answers liveness', async () => {
    const res = await fetch(`${base()}/healthz`);
    expect(res.status).toBe(200);
  });

  it('is ready when every check passes, and names the failing one when not', async () => {
    healthy = true;
    expect((await fetch(`${base()}/readyz`)).status).toBe(200);
    healthy = false;
    const res = await fetch(`${base()}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { checks: { name: string; ok: boolean; detail?: string }[] };
    expect(body.checks.find((c) => c.name === 'clickhouse')).toMatchObject({ ok: false, detail: 'connection refused' });
    expect(body.checks.find((c) => c.name === 'kafka')).toMatchObject({ ok: true });
  });

  it('serves Prometheus metrics with the service label', async () => {
    const text = await (await fetch(`${base()}/metrics`)).text();
    expect(text).toContain('shelfstream_events_in_total{service="test"} 3');
  });

  it('fails readiness once draining', async () => {
    healthy = true;
    endpoint.drain();
    expect((await fetch(`${base()}/readyz`)).status).toBe(503);
  });
});
