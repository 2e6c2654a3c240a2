/**
 * What alert receivers were told, and the checks every alerts end-to-end test makes of it:
 * read from the requests the Python reference receiver verified and recorded.
 */
import type { ReceivedRequest } from './webhook-receiver';

export interface Told {
  readonly alertId: string;
  readonly status: 'firing' | 'resolved';
  readonly webhookId: string;
  readonly atMs: number;
}

/** What a receiver was told, request by request, from the bodies it verified and answered 2xx. */
export function toldBy(requests: readonly ReceivedRequest[]): Told[] {
  const told: Told[] = [];
  for (const r of requests) {
    if (r.status < 200 || r.status >= 300) continue;
    const body = JSON.parse(r.body) as { data: { alerts: { alert_id: string; status: 'firing' | 'resolved' }[] } };
    for (const a of body.data.alerts) told.push({ alertId: a.alert_id, status: a.status, webhookId: r.webhook_id, atMs: r.at_ms });
  }
  return told;
}

/** Every alert delivered at least once, each resolved after its firing; one body per webhook-id. */
export function checkReceiver(requests: readonly ReceivedRequest[], raised: ReadonlySet<string>, resolved: ReadonlySet<string>): void {
  expect(requests.every((r) => r.verified.length > 0 && r.verified.every(Boolean))).toBe(true);
  const bodies = new Map<string, string>();
  for (const r of requests) {
    expect(bodies.get(r.webhook_id) ?? r.body).toBe(r.body);
    bodies.set(r.webhook_id, r.body);
  }
  const told = toldBy(requests);
  const firstFiring = new Map<string, number>();
  const firstResolved = new Map<string, number>();
  for (const t of told) {
    const map = t.status === 'firing' ? firstFiring : firstResolved;
    if (!map.has(t.alertId)) map.set(t.alertId, t.atMs);
  }
  expect([...raised].filter((id) => !firstFiring.has(id))).toEqual([]);
  // A resolved for every firing that was delivered, and none before its firing.
  expect([...resolved].filter((id) => firstFiring.has(id) && !firstResolved.has(id))).toEqual([]);
  for (const [id, at] of firstResolved) {
    expect(firstFiring.has(id)).toBe(true);
    expect(at).toBeGreaterThanOrEqual(firstFiring.get(id)!);
  }
}

