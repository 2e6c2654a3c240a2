/**
 * The bytes a subscription receives for a message, in its payload format. Rendered once, when the
 * message is made, and stored with it: every retry sends the same body under the same
 * `webhook-id`, so a receiver that deduplicates on the id never sees two contents for one id.
 */
import { slackMessage, teamsMessage } from './chat';
import { standardPayload, type MessageContent } from './payload';

export const PAYLOAD_FORMATS = ['standard', 'slack', 'teams'] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

export function renderBody(format: PayloadFormat, message: MessageContent): string {
  switch (format) {
    case 'standard':
      return JSON.stringify(standardPayload(message));
    case 'slack':
      return JSON.stringify(slackMessage(message));
    case 'teams':
      return JSON.stringify(teamsMessage(message));
  }
}
