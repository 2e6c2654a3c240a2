/**
 * The codec's framing and its slab allocation, without a registry: lookupSchema is replaced by
 * an in-memory id per subject. Expected bytes come from avsc's own toBuffer (the independent
 * encoder), framed by hand as the Confluent wire format prescribes.
 */
import { Type } from 'avsc';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { TopicSpec } from '../../schemas/catalog';
import { ShelfStreamError } from '../errors';
import { EventCodec } from './codec';

jest.mock('../clients/registry', () => ({ lookupSchema: async () => ({ id: 4242 }) }));

const schema = {
  type: 'record',
  name: 'Note',
  fields: [
    { name: 'event_id', type: 'string' },
    { name: 'store_id', type: 'string' },
    { name: 'text', type: 'string' },
    { name: 'units', type: 'int' },
  ],
};
const topic: TopicSpec = { name: 'test.notes', kind: 'event', key: 'store_id', doc: 'notes', subject: 'test.notes-value', schema, schemaFile: 'note.avsc' };
const avro = Type.forSchema(schema as Parameters<typeof Type.forSchema>[0]);

function framed(value: unknown): Buffer {
  const body = avro.toBuffer(value);
  const header = Buffer.from([0, 0, 0, 0, 0]);
  header.writeInt32BE(4242, 1);
  return Buffer.concat([header, body]);
}

function note(i: number, textBytes = 100): { event_id: string; store_id: string; text: string; units: number } {
  return { event_id: `e-${i}`, store_id: `S${i % 7}`, text: 'x'.repeat(textBytes) + String(i), units: i % 1000 };
}

async function codec(): Promise<EventCodec> {
  return EventCodec.create({} as SchemaRegistry, { url: 'http://registry.invalid', auth: undefined, caFile: undefined }, [topic]);
}

describe('EventCodec.encode', () => {
  it('frames magic byte, schema id and the Avro body', async () => {
    const c = await codec();
    const value = note(1);
    expect(c.encode('test.notes', value)).toEqual(framed(value));
    expect(c.decodeKnown(c.encode('test.notes', value))?.value).toEqual(value);
  });

  it('keeps every earlier record intact across many slabs', async () => {
    const c = await codec();
    const values = Array.from({ length: 20_000 }, (_, i) => note(i, i % 300));
    const encoded = values.map((v) => c.encode('test.notes', v));
    // More than one slab was used: the records hold far more bytes than one slab.
    expect(encoded.reduce((n, b) => n + b.length, 0)).toBeGreaterThan(1_000_000);
    const damaged = encoded.map((buffer, i) => (buffer.equals(framed(values[i])) ? -1 : i)).filter((i) => i >= 0);
    expect(damaged).toEqual([]);
  });

  it('encodes a record larger than a slab', async () => {
    const c = await codec();
    c.encode('test.notes', note(0));
    const big = note(1, 700_000);
    const buffer = c.encode('test.notes', big);
    expect(buffer.equals(framed(big))).toBe(true);
    const after = note(2);
    expect(c.encode('test.notes', after)).toEqual(framed(after));
  });

  it('refuses a value that breaks the schema with CONTRACT_VIOLATION', async () => {
    const c = await codec();
    let caught: unknown;
    try {
      c.encode('test.notes', { ...note(1), units: 'many' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ShelfStreamError);
    expect((caught as ShelfStreamError).code).toBe('CONTRACT_VIOLATION');
    // The codec still works after a refusal.
    expect(c.encode('test.notes', note(3))).toEqual(framed(note(3)));
  });
});

describe('EventCodec.decodeKnown', () => {
  it('reads what avsc wrote, framed', async () => {
    const c = await codec();
    expect(c.decodeKnown(framed(note(5)))).toEqual({ schemaId: 4242, value: note(5) });
  });

  it('refuses a truncated body and a body with bytes left over with DECODE_FAILED', async () => {
    const c = await codec();
    const whole = framed(note(5));
    for (const bad of [whole.subarray(0, whole.length - 3), Buffer.concat([whole, Buffer.from([1, 2])])]) {
      let caught: unknown;
      try {
        c.decodeKnown(bad);
      } catch (error) {
        caught = error;
      }
      expect((caught as ShelfStreamError | undefined)?.code).toBe('DECODE_FAILED');
    }
  });
});

describe('readKnown with a projected reader schema', () => {
  const projected = Type.forSchema({ type: 'record', name: 'Note', fields: [{ name: 'store_id', type: 'string' }, { name: 'units', type: 'int' }] });

  it('reads only the projected fields, skipping the others in the bytes', async () => {
    const c = await codec();
    expect({ ...c.readKnown(framed(note(9)), projected)! }).toEqual({ store_id: 'S2', units: 9 });
    // Same as the full decode, restricted to those fields.
    const full = c.readKnown<ReturnType<typeof note>>(framed(note(9)))!;
    expect({ store_id: full.store_id, units: full.units }).toEqual({ store_id: 'S2', units: 9 });
  });

  it('answers undefined for a schema id it has not met, and refuses a truncated body', async () => {
    const c = await codec();
    const other = framed(note(1));
    other.writeInt32BE(7, 1);
    expect(c.readKnown(other, projected)).toBeUndefined();
    const truncated = framed(note(1)).subarray(0, 20);
    expect(() => c.readKnown(truncated, projected)).toThrow(ShelfStreamError);
  });

  it('refuses every record of a writer the projection cannot read, with the reason', async () => {
    const c = await codec();
    const needsMore = Type.forSchema({ type: 'record', name: 'Note', fields: [{ name: 'missing', type: 'string' }] });
    expect(() => c.readKnown(framed(note(1)), needsMore)).toThrow(/cannot be read as the processor's projection/);
    expect(() => c.readKnown(framed(note(2)), needsMore)).toThrow(/cannot be read as the processor's projection/);
  });
});
