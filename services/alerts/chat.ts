/**
 * The chat formats: bodies that Slack and Microsoft Teams incoming webhooks accept as they are,
 * for subscriptions that post straight into a channel (no receiver of their own to verify a
 * signature or read the `standard` payload).
 *
 * Slack (incoming webhooks, Block Kit): `text` is the notification fallback and is required;
 * `blocks` holds at most 50 blocks, a section's mrkdwn text at most 3,000 characters, and `&`,
 * `<`, `>` must be escaped (`<!channel>` would ping everyone).
 * Teams (Workflows "post to a channel when a webhook request is received", and the older
 * connectors): a `message` whose one attachment is an Adaptive Card
 * (`application/vnd.microsoft.card.adaptive`, version 1.4 at most for webhooks).
 *
 * Long groups are cut to `CHAT_MAX_LISTED_ALERTS` lines plus "and N more": a channel message is
 * for people, and the full list stays in the `standard` format and the delivery log.
 */
import type { AlertItem, MessageContent } from './payload';

export const CHAT_MAX_LISTED_ALERTS = 20;
const SLACK_SECTION_MAX_CHARS = 3_000;

const KIND_LABEL: Readonly<Record<AlertItem['kind'], string>> = {
  stockout_risk: 'Stock-out risk',
  out_of_stock: 'Out of stock',
  demand_spike: 'Demand spike',
  demand_drop: 'Demand drop',
  phantom_inventory: 'Phantom inventory',
  price_error: 'Price error',
  void_burst: 'Void burst',
  model_drift: 'Forecast model drift',
};

/** Where an alert is: its store (and sku, terminal), or the chain for an alert of no single store. */
function placeOf(alert: AlertItem, separator: string): string {
  const store = alert.store_id === '' ? 'whole chain' : `store ${alert.store_id}`;
  return `${store}${alert.sku ? `${separator}sku ${alert.sku}` : ''}`;
}

export function headline(message: MessageContent): string {
  const firing = message.alerts.filter((a) => a.status === 'firing').length;
  const resolved = message.alerts.length - firing;
  switch (message.type) {
    case 'webhook.test':
      return 'ShelfStream test message: this subscription reaches you';
    case 'alerts.digest':
      return `Daily digest for store ${message.digest?.store_id ?? '?'}: ${firing} open alert${firing === 1 ? '' : 's'}`;
    case 'alerts.summary':
      return `${message.summary?.suppressed_messages ?? 0} more alert messages held back by the rate cap`;
    case 'alerts.group': {
      const labels = Object.values(message.groupLabels).join(' / ');
      return `${labels ? `${labels}: ` : ''}${firing} firing, ${resolved} resolved`;
    }
    default: {
      const alert = message.alerts[0];
      if (!alert) return message.type;
      const verb = message.type.endsWith('.resolved') ? 'resolved' : message.type.endsWith('.updated') ? 'now ' + alert.severity : alert.severity;
      return `${KIND_LABEL[alert.kind]} ${verb}: ${placeOf(alert, ', ')}`;
    }
  }
}

function alertLine(alert: AlertItem): string {
  const where = `${placeOf(alert, ' ')}${alert.terminal_id ? ` terminal ${alert.terminal_id}` : ''}`;
  const state = alert.status === 'resolved' ? 'resolved' : alert.severity;
  return `${KIND_LABEL[alert.kind]} (${state}) ${where}: ${alert.reason}`;
}

function listedLines(message: MessageContent): string[] {
  const lines = message.alerts.slice(0, CHAT_MAX_LISTED_ALERTS).map(alertLine);
  const more = message.alerts.length - CHAT_MAX_LISTED_ALERTS;
  if (more > 0) lines.push(`and ${more} more`);
  if (message.summary) {
    const kinds = Object.entries(message.summary.by_kind).map(([kind, n]) => `${KIND_LABEL[kind as AlertItem['kind']]}: ${n}`);
    lines.push(`${message.summary.suppressed_messages} messages from ${message.summary.window_start} to ${message.summary.window_end}. ${kinds.join(', ')}`);
  }
  return lines;
}

export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly { type: 'section'; text: { type: 'mrkdwn'; text: string } }[];
}

export function slackMessage(message: MessageContent): SlackMessage {
  const title = escapeSlack(headline(message));
  const body = listedLines(message).map((l) => `• ${escapeSlack(l)}`).join('\n');
  return {
    text: title,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: truncate(`*${title}*`, SLACK_SECTION_MAX_CHARS) } },
      ...(body ? [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: truncate(body, SLACK_SECTION_MAX_CHARS) } }] : []),
    ],
  };
}

export interface TeamsMessage {
  readonly type: 'message';
  readonly attachments: readonly {
    contentType: 'application/vnd.microsoft.card.adaptive';
    contentUrl: null;
    content: {
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
      type: 'AdaptiveCard';
      version: '1.4';
      body: readonly { type: 'TextBlock'; text: string; wrap: true; weight?: 'Bolder'; size?: 'Medium' }[];
    };
  }[];
}

export function teamsMessage(message: MessageContent): TeamsMessage {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: headline(message), wrap: true, weight: 'Bolder', size: 'Medium' },
            ...listedLines(message).map((line) => ({ type: 'TextBlock' as const, text: line, wrap: true as const })),
          ],
        },
      },
    ],
  };
}
