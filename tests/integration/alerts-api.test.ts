/**
 * The subscriptions HTTP API against the real subscriptions topic: bearer token required,
 * subscribe / list / show / pause / rotate / delete, bad requests answered 400 with their reason,
 * unknown ids 404, and no answer holding a full URL.
 */
import { randomBytes } from 'node:crypto';
import { createKafka } from '../../lib/clients/kafka';
import { buildSubscriptionApi } from '../../services/alerts/api';
import { guardedLookup } from '../../services/alerts/destination-guard';
import { createSecretBox } from '../../services/alerts/secret-box';
import { createSubscriptionAdmin } from '../../services/alerts/subscription-admin';
import { createSubscriptionStore } from '../../services/alerts/subscription-store';
import { createWebhookSender } from '../../services/alerts/webhook-sender';
import { createTestTopic, registerCleanup, testAdmin, testConfig, testLogger } from '../harness/fixtures';

describe('subscriptions HTTP API', () => {
  it('manages subscriptions behind a bearer token', async () => {
    const config = testConfig();
    const token = randomBytes(24).toString('hex');
    const policy = { allowedHosts: ['127.0.0.1'] };
    // A stand-in of the subscriptions topic: what a test subscribes must not reach `make demo`.
    const topic = await createTestTopic(await testAdmin(config), { prefix: 'alert-subscriptions', partitions: 3, compacted: true });
    const store = createSubscriptionStore(createKafka(config.kafka, testLogger(), 'alerts-api-test'), topic);
    const sender = createWebhookSender({ lookup: guardedLookup(policy), maxSocketsPerHost: 1, userAgent: 'test' });
    registerCleanup(async () => {
      sender.close();
      await store.close();
    });
    const admin = createSubscriptionAdmin({ store, box: createSecretBox(randomBytes(32)), policy, sender, deliveryTimeoutMs: 5_000, clock: Date.now });
    const app = buildSubscriptionApi({ admin, token, logger: testLogger() });
    registerCleanup(() => app.close());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/v1/subscriptions`;
    const call = (path: string, init: RequestInit & { auth?: string } = {}) =>
      fetch(`${base}${path}`, { ...init, headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), authorization: init.auth ?? `Bearer ${token}` } });

    expect((await call('', { auth: '' })).status).toBe(401);
    expect((await call('', { auth: `Bearer ${token}x` })).status).toBe(401);

    const secretPath = `/services/T0/B0/${randomBytes(6).toString('hex')}`;
    const created = await call('', { method: 'POST', body: JSON.stringify({ url: `https://hooks.slack.com${secretPath}`, event_types: ['out_of_stock'], format: 'slack' }) });
    expect(created.status).toBe(201);
    const { subscription, secret } = (await created.json()) as { subscription: { subscription_id: string; url: string }; secret: string };
    registerCleanup(() => store.remove(subscription.subscription_id));
    expect(secret).toMatch(/^whsec_/);
    expect(subscription.url).toBe('https://hooks.slack.com/***');

    const bad = await call('', { method: 'POST', body: JSON.stringify({ url: 'https://hooks.slack.com/x', event_types: ['outofstock'] }) });
    expect([bad.status, ((await bad.json()) as { error: string }).error]).toEqual([400, expect.stringMatching(/unknown event type "outofstock"/)]);

    const listed = await (await call('')).text();
    expect(listed).toContain(subscription.subscription_id);
    expect(listed).not.toContain(secretPath);
    expect((await call('/sub_doesnotexist')).status).toBe(404);

    const paused = (await (await call(`/${subscription.subscription_id}/pause`, { method: 'POST', body: JSON.stringify({ reason: 'holiday' }) })).json()) as { state: string };
    expect(paused.state).toBe('paused');
    const rotated = (await (await call(`/${subscription.subscription_id}/rotate-secret`, { method: 'POST', body: '{}' })).json()) as { secret: string; subscription: { secrets: { active: boolean }[] } };
    expect(rotated.secret).not.toBe(secret);
    expect(rotated.subscription.secrets.map((s) => s.active)).toEqual([true, true]);

    const silenced = await call(`/${subscription.subscription_id}/silences`, { method: 'POST', body: JSON.stringify({ store_id: 'S001', for_ms: 3_600_000, comment: 'refit' }) });
    expect(silenced.status).toBe(201);
    expect(((await silenced.json()) as { silences: { store_id: string; comment: string }[] }).silences).toEqual([expect.objectContaining({ store_id: 'S001', comment: 'refit' })]);
    const noTarget = await call(`/${subscription.subscription_id}/silences`, { method: 'POST', body: JSON.stringify({ for_ms: 1000 }) });
    expect([noTarget.status, ((await noTarget.json()) as { error: string }).error]).toEqual([400, 'a silence needs a store, a sku or a kind to mute']);

    expect((await call(`/${subscription.subscription_id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/${subscription.subscription_id}`)).status).toBe(404);
  });
});
