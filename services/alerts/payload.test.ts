import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { renderBody } from './body';
import { ALERT_EVENT_TYPES, ALERT_KINDS, COMPOSITE_MESSAGE_TYPES } from './event-types';
import { PAYLOAD_SCHEMA_VERSION, standardPayload } from './payload';
import { alertItem, message } from './test-fixtures';

const schema = JSON.parse(readFileSync(join(__dirname, 'payload.schema.json'), 'utf8')) as { $id: string; properties: { type: { enum: string[] } } };
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
addFormats(ajv);
const validate = ajv.compile(schema);
const examplesDir = join(__dirname, 'examples');
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.json'));

function errors(value: unknown): string {
  return validate(value) ? '' : ajv.errorsText(validate.errors);
}

describe('the webhook payload contract (payload.schema.json)', () => {
  it('is versioned in its $id and lists exactly the message types the service sends', () => {
    expect(schema.$id).toContain(`/${PAYLOAD_SCHEMA_VERSION}.json`);
    expect([...schema.properties.type.enum].sort()).toEqual([...ALERT_EVENT_TYPES, ...COMPOSITE_MESSAGE_TYPES].sort());
  });

  it.each(examples)('accepts the example %s, whose file is named for its type', (file) => {
    const example = JSON.parse(readFileSync(join(examplesDir, file), 'utf8')) as { type: string };
    expect(errors(example)).toBe('');
    expect(file).toBe(`${example.type}.json`);
  });

  it('has an example of every alert kind raised, of a resolved and an update, and of every composite message', () => {
    for (const kind of ALERT_KINDS) expect(examples).toContain(`${kind}.raised.json`);
    expect(examples).toEqual(expect.arrayContaining(['stockout_risk.resolved.json', 'out_of_stock.resolved.json', 'stockout_risk.updated.json']));
    for (const type of COMPOSITE_MESSAGE_TYPES) expect(examples).toContain(`${type}.json`);
  });

  it('accepts what the service builds, for one alert, a group and a resolved', () => {
    const raised = alertItem();
    const resolved = alertItem({ event_type: 'out_of_stock.resolved', alert_id: 'b' });
    for (const m of [message([raised]), message([raised, resolved], { groupKey: 'store_id=S001', groupLabels: { store_id: 'S001' } }), message([resolved])]) {
      const body = JSON.parse(renderBody('standard', m)) as unknown;
      expect(errors(body)).toBe('');
      expect(body).toEqual(standardPayload(m));
    }
  });

  it('counts firing and resolved alerts in the body', () => {
    const body = standardPayload(message([alertItem(), alertItem({ alert_id: 'x' }), alertItem({ event_type: 'stockout_risk.resolved', alert_id: 'y' })]));
    expect([body.data.firing_count, body.data.resolved_count]).toEqual([2, 1]);
  });

  it('refuses bodies that break the contract, naming the property', () => {
    const good = standardPayload(message([alertItem()]));
    expect(errors({ ...good, type: 'stockout_risk.exploded' })).toMatch(/type/);
    expect(errors({ ...good, data: { ...good.data, alerts: [{ ...alertItem(), status: 'resolved' }] } })).toMatch(/resolved_at/);
    expect(errors({ ...good, data: { ...good.data, alerts: [alertItem(), alertItem()] } })).toMatch(/alerts/);
    expect(errors({ ...good, type: 'alerts.digest' })).toMatch(/digest/);
    expect(errors({ ...good, timestamp: 'yesterday' })).toMatch(/timestamp/);
  });
});
