import { randomBytes } from 'node:crypto';
import { createSecretBox } from './secret-box';
import { parseSubscriptionRequest } from './subscription';
import { addSilence, createSubscriptionRecord, describeSubscription, openSecrets, openUrl, rotateSecret, withState } from './subscription-records';

const known = { stores: new Set(['S001', 'S002']), regions: new Set(['north']), skus: new Set(['SKU-1']), categories: new Set(['dairy']) };
const box = createSecretBox(randomBytes(32));
const policy = { allowedHosts: ['127.0.0.1'] };
const slackUrl = 'https://hooks.slack.com/services/T000/B000/SLACKTOKEN';

describe('subscription requests', () => {
  it('fills Alertmanager-like defaults and expands kinds into event types', () => {
    const { settings } = parseSubscriptionRequest({ url: slackUrl, event_types: ['out_of_stock', 'demand_spike.raised'] }, known);
    expect(settings.event_types).toEqual(['out_of_stock.raised', 'out_of_stock.updated', 'out_of_stock.resolved', 'demand_spike.raised', 'demand_spike.updated']);
    expect(settings).toMatchObject({ group_by: ['store_id'], group_wait_ms: 30_000, group_interval_ms: 300_000, repeat_interval_ms: 14_400_000, format: 'standard', digest: null });
  });

  it('expands anomaly into every anomaly kind', () => {
    const { settings } = parseSubscriptionRequest({ url: slackUrl, event_types: ['anomaly'] });
    expect(settings.event_types).toHaveLength(15);
    expect(settings.event_types.some((t) => t.startsWith('stockout_risk'))).toBe(false);
  });

  it.each([
    [{ url: slackUrl, event_types: ['stockout'] }, /event_types has an unknown event type "stockout"/],
    [{ url: slackUrl, event_types: ['out_of_stock.resolved'] }, /out_of_stock.resolved without out_of_stock.raised/],
    [{ url: slackUrl, event_types: [] }, /event_types needs at least one/],
    [{ url: slackUrl, event_types: ['out_of_stock'], filters: { stores: ['S999', 'S998'] } }, /filters.stores matches nothing: no known stores among S999, S998/],
    [{ url: slackUrl, event_types: ['out_of_stock'], filters: { min_risk: 0.5 } }, /min_risk applies to stock-out risk only/],
    [{ url: slackUrl, event_types: ['out_of_stock'], group_by: ['colour'] }, /group_by/],
    [{ url: slackUrl, event_types: ['out_of_stock'], group_by: ['region'] }, /group_by must include store_id \(as in \["store_id","region"\]\): a group is one store's alerts/],
    [{ url: slackUrl, event_types: ['out_of_stock'], digest: { local_time: '25:00' } }, /digest.local_time must be a time of day/],
    [{ url: slackUrl, event_types: ['out_of_stock'], surprise: true }, /bad subscription/],
  ])('refuses %j with a clear reason', (request, reason) => {
    expect(() => parseSubscriptionRequest(request, known)).toThrow(reason);
  });

  it('takes a filter some of whose values are known (stores may open later)', () => {
    expect(() => parseSubscriptionRequest({ url: slackUrl, event_types: ['out_of_stock'], filters: { stores: ['S001', 'S777'] } }, known)).not.toThrow();
  });
});

describe('subscription records', () => {
  const { settings } = parseSubscriptionRequest({ url: slackUrl, event_types: ['out_of_stock'] });
  const now = Date.parse('2026-12-05T08:00:00Z');

  it('seals the URL and the secret, and shows neither', () => {
    const { record, secret } = createSubscriptionRecord({ subscriptionId: 'sub_a', url: slackUrl, settings }, { box, policy, now });
    const stored = JSON.stringify(record);
    expect(stored).not.toContain('SLACKTOKEN');
    expect(stored).not.toContain(secret.slice(6));
    expect(JSON.stringify(describeSubscription(record, now))).not.toContain('SLACKTOKEN');
    expect(describeSubscription(record, now).url).toBe('https://hooks.slack.com/***');
    expect(openUrl(record, box).toString()).toBe(slackUrl);
    expect(openSecrets(record, box, now)).toEqual([secret]);
  });

  it('refuses a URL the destination rules refuse', () => {
    expect(() => createSubscriptionRecord({ subscriptionId: 'sub_b', url: 'http://example.com/x', settings }, { box, policy, now })).toThrow(/https/);
  });

  it('signs with old and new secret during a rotation, then with the new one only', () => {
    const { record, secret: first } = createSubscriptionRecord({ subscriptionId: 'sub_c', url: slackUrl, settings }, { box, policy, now });
    const rotated = rotateSecret(record, { box, now: now + 1_000, graceMs: 60_000 });
    expect(openSecrets(rotated.record, box, now + 2_000)).toEqual([rotated.secret, first]);
    expect(openSecrets(rotated.record, box, now + 61_001)).toEqual([rotated.secret]);
  });

  it('pauses with a reason and resumes without one', () => {
    const { record } = createSubscriptionRecord({ subscriptionId: 'sub_d', url: slackUrl, settings }, { box, policy, now });
    const paused = withState(record, 'paused', 'store closed for works', now);
    expect([paused.state, paused.state_reason]).toEqual(['paused', 'store closed for works']);
    expect(withState(paused, 'active', '', now)).toMatchObject({ state: 'active', state_reason: '' });
  });

  it('refuses a silence that mutes nothing or ends before it starts', () => {
    const { record } = createSubscriptionRecord({ subscriptionId: 'sub_e', url: slackUrl, settings }, { box, policy, now });
    expect(() => addSilence(record, { starts_at: now, ends_at: now + 1 }, now)).toThrow(/store, a sku or a kind/);
    expect(() => addSilence(record, { store_id: 'S001', starts_at: now, ends_at: now }, now)).toThrow(/end after/);
  });
});
