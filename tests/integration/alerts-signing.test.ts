/**
 * Alert webhooks are signed so that the Standard Webhooks reference library (Python, from PyPI)
 * verifies them: every signature, before, during and after a secret rotation, and a tampered
 * body is refused. The receiver is the reference implementation, not this project's code.
 */
import { guardedLookup } from '../../services/alerts/destination-guard';
import { createSigner, generateSigningSecret } from '../../services/alerts/signing';
import { createWebhookSender } from '../../services/alerts/webhook-sender';
import { registerCleanup } from '../harness/fixtures';
import { startReferenceReceiver } from '../harness/webhook-receiver';

const policy = { allowedHosts: ['127.0.0.1'] };

describe('alert webhook signatures, checked by the standardwebhooks reference verifier', () => {
  it('verify under every active secret across a rotation, and fail for a tampered body', async () => {
    const [previous, next] = [generateSigningSecret(), generateSigningSecret()];
    const receiver = await startReferenceReceiver({ secrets: [previous, next] });
    const sender = createWebhookSender({ lookup: guardedLookup(policy), maxSocketsPerHost: 4, userAgent: 'shelfstream-test' });
    registerCleanup(async () => sender.close());
    const sign = createSigner();
    const url = new URL(receiver.url);
    const sentAt = new Date().toISOString();
    const body = (n: number): string => JSON.stringify({ type: 'webhook.test', timestamp: sentAt, data: { n } });

    // Before the rotation: the old secret; during it: both (new first); after: the new one.
    const phases = [[previous], [next, previous], [next]] as const;
    for (const [i, secrets] of phases.entries()) {
      const outcome = await sender.send({ url, headers: { ...sign(`msg_rot_${i}`, Date.now(), body(i), secrets) }, body: body(i), timeoutMs: 15_000 });
      expect(outcome.status).toBe(200);
    }
    const tampered = sign('msg_tampered', Date.now(), body(9), [previous, next]);
    await sender.send({ url, headers: { ...tampered }, body: body(9).replace('9', '8'), timeoutMs: 15_000 });

    const received = await receiver.received();
    expect(received.map((r) => [r.webhook_id, r.signatures, r.verified])).toEqual([
      ['msg_rot_0', 1, [true, false]],
      ['msg_rot_1', 2, [true, true]],
      ['msg_rot_2', 1, [false, true]],
      ['msg_tampered', 2, [false, false]],
    ]);
  });

  it('verify a retry, re-signed at its own time under the same webhook-id, with the same body', async () => {
    const secret = generateSigningSecret();
    const receiver = await startReferenceReceiver({ secrets: [secret], statuses: [500, 200] });
    const sender = createWebhookSender({ lookup: guardedLookup(policy), maxSocketsPerHost: 1, userAgent: 'shelfstream-test' });
    registerCleanup(async () => sender.close());
    const sign = createSigner();
    const payload = JSON.stringify({ type: 'webhook.test', timestamp: new Date().toISOString(), data: {} });
    const first = await sender.send({ url: new URL(receiver.url), headers: { ...sign('msg_retry', Date.now(), payload, [secret]) }, body: payload, timeoutMs: 15_000 });
    const retry = await sender.send({ url: new URL(receiver.url), headers: { ...sign('msg_retry', Date.now(), payload, [secret]) }, body: payload, timeoutMs: 15_000 });
    expect([first.status, retry.status]).toEqual([500, 200]);
    expect(first.responseExcerpt).toBe('receiver says no');
    const received = await receiver.received();
    expect(received.map((r) => [r.webhook_id, r.verified[0], r.body === payload])).toEqual([
      ['msg_retry', true, true],
      ['msg_retry', true, true],
    ]);
  });
});
