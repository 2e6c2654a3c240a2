/**
 * `shelfstream alerts` end to end against the real broker and the Python reference receiver:
 * subscribe, list and show (URL path and secret never shown), test (signature verified by
 * standardwebhooks), rotate the secret (the next test verifies under old and new), pause, delete;
 * and bad subscriptions refused with their reason.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli } from '../harness/cli';
import { createTestTopic, registerCleanup, testAdmin } from '../harness/fixtures';
import { startReferenceReceiver } from '../harness/webhook-receiver';

const env: Record<string, string | undefined> = {
  ...process.env,
  SHELFSTREAM_LOG_LEVEL: 'warn',
  SHELFSTREAM_DATA_DIR: mkdtempSync(join(tmpdir(), 'alerts-cli-')),
  ALERTS_SECRET_KEY: randomBytes(32).toString('base64'),
  ALERTS_ALLOWED_HOSTS: '127.0.0.1',
};

function secretIn(stdout: string): string {
  return /secret \(shown once\): (whsec_\S+)/.exec(stdout)![1]!;
}

function viewIn(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.slice(0, stdout.lastIndexOf('}') + 1)) as Record<string, unknown>;
}

describe('shelfstream alerts (subscriptions in the compacted topic)', () => {
  beforeAll(async () => {
    // A stand-in of the subscriptions topic: what the test subscribes must not reach `make demo`.
    env['ALERTS_SUBSCRIPTIONS_TOPIC'] = await createTestTopic(await testAdmin(), { prefix: 'alert-subscriptions', partitions: 3, compacted: true });
  });

  it('subscribes, tests, rotates, pauses and deletes; the reference verifier accepts every test message', async () => {
    const receiver = await startReferenceReceiver({ secrets: [] });
    const subscribed = await runCli(['alerts', 'subscribe', '--url', receiver.url, '--events', 'out_of_stock,anomaly', '--group-by', 'store_id,kind', '--digest-at', '07:00'], { env });
    const id = viewIn(subscribed).subscription_id as string;
    registerCleanup(() => runCli(['alerts', 'delete', id], { env }).catch(() => undefined));
    const first = secretIn(subscribed);
    expect(viewIn(subscribed)).toMatchObject({ url: `${new URL(receiver.url).origin}/***`, state: 'active', group_by: ['store_id', 'kind'], digest: { local_time: '07:00' } });

    const listed = await runCli(['alerts', 'list'], { env });
    expect(listed).toContain(id);
    expect(listed).not.toContain('/hooks');
    expect(listed).not.toContain(first.slice(6));

    await receiver.setSecrets([first]);
    const tested = JSON.parse(await runCli(['alerts', 'test', id], { env })) as { status: number; webhook_id: string };
    expect(tested.status).toBe(200);

    const rotated = await runCli(['alerts', 'rotate-secret', id], { env });
    const second = secretIn(rotated);
    expect(second).not.toBe(first);
    await receiver.setSecrets([first, second]);
    await runCli(['alerts', 'test', id], { env });

    const received = await receiver.received();
    expect(received.map((r) => [r.webhook_id, r.signatures, r.verified])).toEqual([
      [tested.webhook_id, 1, [true]],
      [expect.stringMatching(/^msg_test_/), 2, [true, true]],
    ]);
    expect(JSON.parse(received[0]!.body)).toMatchObject({ type: 'webhook.test', data: { subscription_id: id, alerts: [] } });

    const paused = viewIn(await runCli(['alerts', 'pause', id, '--reason', 'store refit'], { env }));
    expect(paused).toMatchObject({ state: 'paused', state_reason: 'store refit' });
    expect(viewIn(await runCli(['alerts', 'show', id], { env }))).toMatchObject({ state: 'paused' });

    await runCli(['alerts', 'delete', id], { env });
    expect(await runCli(['alerts', 'list'], { env })).not.toContain(id);
  });

  it.each([
    [['--url', 'http://example.com/hook', '--events', 'out_of_stock'], /must use https/],
    [['--url', 'https://10.1.2.3/hook', '--events', 'out_of_stock'], /non-public address/],
    [['--url', 'https://example.com/hook', '--events', 'stockouts'], /unknown event type "stockouts"/],
    [['--url', 'https://example.com/hook', '--events', 'out_of_stock.resolved'], /without out_of_stock.raised/],
  ])('refuses subscribe %j with its reason', async (args, reason) => {
    let stderr = '';
    const run = startCli(['alerts', 'subscribe', ...args], { env, onStderrLine: (line) => (stderr += `${line}\n`) });
    expect(await run.exited).not.toBe(0);
    expect(stderr).toMatch(reason);
  });
});
