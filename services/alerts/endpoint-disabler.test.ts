import { randomBytes } from 'node:crypto';
import { createLogger } from '../../lib/logger';
import { createEndpointDisabler, disabledRecord } from './endpoint-disabler';
import { createSecretBox } from './secret-box';
import { parseSubscriptionRequest } from './subscription';
import type { SubscriptionRecord } from './subscription';
import { createSubscriptionRecord, withState } from './subscription-records';

const box = createSecretBox(randomBytes(32));
const T0 = Date.parse('2026-12-05T10:00:00Z');
const { url, settings } = parseSubscriptionRequest({ url: 'https://hooks.example.com/h', event_types: ['out_of_stock'] });
const active = createSubscriptionRecord({ subscriptionId: 'sub_a', url, settings }, { box, policy: { allowedHosts: [] }, now: T0 }).record;

describe('writing a disabled endpoint back to its subscription', () => {
  it('disables an active record with the reason, and leaves a paused, disabled or deleted one alone', () => {
    expect(disabledRecord(active, 'the endpoint answered 410 Gone', T0 + 5)).toMatchObject({ state: 'disabled', state_reason: 'the endpoint answered 410 Gone', updated_at: T0 + 5, secrets: active.secrets });
    expect(disabledRecord(withState(active, 'paused', 'by ops', T0), 'gone', T0)).toBeUndefined();
    expect(disabledRecord(withState(active, 'disabled', 'earlier', T0), 'gone', T0)).toBeUndefined();
    expect(disabledRecord(undefined, 'gone', T0)).toBeUndefined();
  });

  it('writes once while a write for the same subscription is in flight', async () => {
    const written: SubscriptionRecord[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const disabler = createEndpointDisabler({
      subscriptions: { get: (id) => (id === 'sub_a' ? active : undefined) },
      store: {
        put: async (record) => {
          await gate;
          written.push(record);
        },
      },
      logger: createLogger({ level: 'silent', service: 'alerts-test' }),
      clock: () => T0,
      retry: { retries: 0, initialDelayMs: 1, maxDelayMs: 1 },
    });
    disabler.disable('sub_a', 'the endpoint answered 410 Gone');
    disabler.disable('sub_a', 'the endpoint answered 410 Gone');
    disabler.disable('sub_unknown', 'the endpoint answered 410 Gone');
    release();
    await disabler.idle();
    expect(written.map((r) => [r.subscription_id, r.state, r.state_reason])).toEqual([['sub_a', 'disabled', 'the endpoint answered 410 Gone']]);
  });
});
