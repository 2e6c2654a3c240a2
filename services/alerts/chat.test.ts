import Ajv2020 from 'ajv/dist/2020';
import { renderBody } from './body';
import { CHAT_MAX_LISTED_ALERTS, escapeSlack } from './chat';
import { alertItem, message } from './test-fixtures';

/*
 * The shapes the two chat services accept, written from their documentation rather than from
 * chat.ts: Slack incoming webhooks need `text` (the notification fallback) and take at most 50
 * Block Kit blocks, a section's mrkdwn text at most 3,000 characters; Teams Workflows and
 * connector webhooks take a `message` whose attachments are Adaptive Cards
 * (contentType application/vnd.microsoft.card.adaptive, card type AdaptiveCard, a version and
 * a body of elements with a type).
 */
const ajv = new Ajv2020({ allErrors: true });
const slackShape = ajv.compile({
  type: 'object',
  required: ['text'],
  properties: {
    text: { type: 'string', minLength: 1 },
    blocks: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        required: ['type'],
        properties: {
          type: { enum: ['section', 'header', 'divider', 'context'] },
          text: { type: 'object', required: ['type', 'text'], properties: { type: { enum: ['mrkdwn', 'plain_text'] }, text: { type: 'string', minLength: 1, maxLength: 3000 } } },
        },
      },
    },
  },
});
const teamsShape = ajv.compile({
  type: 'object',
  required: ['type', 'attachments'],
  properties: {
    type: { const: 'message' },
    attachments: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['contentType', 'content'],
        properties: {
          contentType: { const: 'application/vnd.microsoft.card.adaptive' },
          content: {
            type: 'object',
            required: ['type', 'version', 'body'],
            properties: {
              type: { const: 'AdaptiveCard' },
              version: { enum: ['1.0', '1.1', '1.2', '1.3', '1.4'] },
              body: { type: 'array', minItems: 1, items: { type: 'object', required: ['type'], properties: { type: { const: 'TextBlock' }, text: { type: 'string', minLength: 1 } } } },
            },
          },
        },
      },
    },
  },
});

const big = Array.from({ length: 500 }, (_, i) => alertItem({ alert_id: `a${i}`, sku: `SKU-${i}`, reason: 'x'.repeat(200) }));
const cases = {
  'one alert': message([alertItem()]),
  'a resolved': message([alertItem({ event_type: 'out_of_stock.resolved' })]),
  'a group of 500 with long reasons': message(big, { groupKey: 'store_id=S001', groupLabels: { store_id: 'S001' } }),
  'a summary': message([], { type: 'alerts.summary', summary: { suppressed_messages: 12, by_kind: { stockout_risk: 12 }, window_start: '2026-12-05T08:00:00.000Z', window_end: '2026-12-05T08:01:00.000Z' } }),
  'a test': message([], { type: 'webhook.test' }),
};

describe('chat formats', () => {
  it.each(Object.entries(cases))('Slack accepts %s', (_, m) => {
    const body = JSON.parse(renderBody('slack', m)) as unknown;
    expect(slackShape(body) ? '' : ajv.errorsText(slackShape.errors)).toBe('');
  });

  it.each(Object.entries(cases))('Teams accepts %s', (_, m) => {
    const body = JSON.parse(renderBody('teams', m)) as unknown;
    expect(teamsShape(body) ? '' : ajv.errorsText(teamsShape.errors)).toBe('');
  });

  it('lists a long group up to the cap and says how many more', () => {
    const body = JSON.parse(renderBody('teams', cases['a group of 500 with long reasons'])) as { attachments: { content: { body: { text: string }[] } }[] };
    const lines = body.attachments[0]!.content.body;
    expect(lines).toHaveLength(1 + CHAT_MAX_LISTED_ALERTS + 1);
    expect(lines.at(-1)!.text).toBe(`and ${500 - CHAT_MAX_LISTED_ALERTS} more`);
  });

  it('escapes Slack control characters so a reason cannot ping a channel', () => {
    expect(escapeSlack('<!channel> & co')).toBe('&lt;!channel&gt; &amp; co');
    const body = renderBody('slack', message([alertItem({ reason: '<!channel> sold out' })]));
    expect(body).not.toContain('<!channel>');
  });
});
