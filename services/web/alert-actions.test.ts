import { actionEvent, AlertActionError, parseAlertAction, type AlertSeen } from './alert-actions';

const seen: AlertSeen = { alert_id: 'stock:OUT_OF_STOCK:S001:MILK-1:t/0/7', store_id: 'S001', sku: 'MILK-1', terminal_id: null, alert_type: 'OUT_OF_STOCK', severity: 'CRITICAL', score: 1, reason: 'on_hand reached 0', raised: 1, resolved: 0 };
const NOW = Date.parse('2026-12-06T10:00:00Z');

describe('an alert action from the web page', () => {
  it('acknowledges with who and when, and no snooze time', () => {
    expect(actionEvent(seen, parseAlertAction('acknowledge', {}), 'manager_s001', NOW)).toMatchObject({ state: 'ACKNOWLEDGED', occurred_at: NOW, acted_by: 'manager_s001', snoozed_until: null, processor: 'web', store_id: 'S001', alert_type: 'OUT_OF_STOCK' });
  });

  it('snoozes until now plus the minutes asked', () => {
    expect(actionEvent(seen, parseAlertAction('snooze', { minutes: 90 }), 'manager_s001', NOW)).toMatchObject({ state: 'SNOOZED', snoozed_until: Date.parse('2026-12-06T11:30:00Z') });
  });

  it.each([[undefined], [0], [4], [10_081], [30.5], ['60']])('refuses a snooze of %p minutes, naming the parameter', (minutes) => {
    expect(() => parseAlertAction('snooze', { minutes })).toThrow(AlertActionError);
    expect(() => parseAlertAction('snooze', { minutes })).toThrow(/minutes must be a whole number from 5 to 10080/);
  });

  it('knows only acknowledge and snooze', () => {
    expect(() => parseAlertAction('resolve', {})).toThrow('no action "resolve"; there are acknowledge and snooze');
  });
});
