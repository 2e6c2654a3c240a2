/**
 * Projections: the fields a processor reads from an event, and the Avro reader schema that
 * keeps only them. Decoding with a resolver from the writer's schema to a projected reader
 * schema skips every other field in the bytes (Avro schema resolution) instead of building
 * strings and objects nobody reads: velocity reads 7 of a sale's 21 values per line and basket.
 * The contract check follows the projection (contract.ts): a processor judges only what it
 * reads. Pure: no I/O.
 */
import { Type } from 'avsc';
import { loadCatalog, type AvroSchema } from './catalog';

/**
 * The fields read from one event: `true` keeps a field whole; a nested selection keeps those
 * fields of a record, or of the records in an array. For example
 * `{ store_id: true, lines: { sku: true, quantity: true } }`.
 */
export type FieldSelection = { readonly [field: string]: true | FieldSelection };

type Field = { readonly name: string; readonly type: unknown; readonly default?: unknown };
type RecordSchema = { readonly type: 'record'; readonly name: string; readonly namespace?: string; readonly fields: readonly Field[] };

function isRecord(type: unknown): type is RecordSchema {
  return typeof type === 'object' && type !== null && (type as { type?: unknown }).type === 'record';
}

/** Names of the named types (records, enums, fixed) a schema defines, anywhere inside it. */
function definedNames(type: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(type)) for (const t of type) definedNames(t, into);
  else if (typeof type === 'object' && type !== null) {
    const t = type as { type?: unknown; name?: unknown; fields?: readonly Field[]; items?: unknown; values?: unknown };
    if ((t.type === 'record' || t.type === 'enum' || t.type === 'fixed') && typeof t.name === 'string') into.add(t.name);
    for (const f of t.fields ?? []) definedNames(f.type, into);
    if (t.items !== undefined) definedNames(t.items, into);
    if (t.values !== undefined) definedNames(t.values, into);
  }
  return into;
}

/** Named types a schema refers to by name (a string that is not a primitive). */
function referencedNames(type: unknown, into: Set<string>): Set<string> {
  const primitives = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
  if (typeof type === 'string') {
    if (!primitives.has(type)) into.add(type);
  } else if (Array.isArray(type)) for (const t of type) referencedNames(t, into);
  else if (typeof type === 'object' && type !== null) {
    const t = type as { type?: unknown; fields?: readonly Field[]; items?: unknown; values?: unknown };
    if (typeof t.type === 'string' && !['record', 'enum', 'fixed', 'array', 'map'].includes(t.type)) referencedNames(t.type, into);
    for (const f of t.fields ?? []) referencedNames(f.type, into);
    if (t.items !== undefined) referencedNames(t.items, into);
    if (t.values !== undefined) referencedNames(t.values, into);
  }
  return into;
}

function projectRecord(record: RecordSchema, selection: FieldSelection, path: string): RecordSchema {
  const known = new Set(record.fields.map((f) => f.name));
  for (const name of Object.keys(selection)) {
    if (!known.has(name)) throw new Error(`projection of ${record.name}: no field ${path}${name}`);
  }
  const fields: Field[] = [];
  for (const field of record.fields) {
    const wanted = selection[field.name];
    if (wanted === undefined) continue;
    if (wanted === true) {
      fields.push(field);
      continue;
    }
    const where = `${path}${field.name}`;
    const type = field.type;
    if (isRecord(type)) fields.push({ ...field, type: projectRecord(type, wanted, `${where}.`) });
    else if (typeof type === 'object' && type !== null && (type as { type?: unknown }).type === 'array' && isRecord((type as { items: unknown }).items)) {
      fields.push({ ...field, type: { ...(type as object), items: projectRecord((type as { items: RecordSchema }).items, wanted, `${where}[].`) } });
    } else throw new Error(`projection of ${record.name}: ${where} is neither a record nor an array of records, select it with true`);
  }
  // Same names as the writer's records, so Avro resolution matches them (it resolves by name).
  return { ...record, fields };
}

/**
 * The reader schema keeping only the selected fields, in the writer's order, with the same
 * record names. Throws on a field the schema lacks (a typo would otherwise read nothing), and
 * when a kept field refers by name to a type defined only in a field left out.
 */
export function projectSchema(schema: AvroSchema, selection: FieldSelection): AvroSchema {
  if (!isRecord(schema)) throw new Error(`projection: ${schema.name ?? schema.type} is not a record schema`);
  const projected = projectRecord(schema, selection, '');
  const defined = definedNames(projected, new Set());
  for (const name of referencedNames(projected, new Set())) {
    const short = name.slice(name.lastIndexOf('.') + 1);
    if (!defined.has(name) && !defined.has(short)) throw new Error(`projection of ${schema.name}: a kept field refers to ${name}, defined in a field left out; select that field too`);
  }
  return projected as unknown as AvroSchema;
}

/** True when `path` (e.g. `lines[].quantity`, `occurred_at`) is read under `selection`; everything is read without one. */
export function selects(selection: FieldSelection | undefined, path: string): boolean {
  if (!selection) return true;
  let at: true | FieldSelection = selection;
  for (const part of path.split('.')) {
    if (at === true) return true;
    const next: true | FieldSelection | undefined = at[part.endsWith('[]') ? part.slice(0, -2) : part];
    if (next === undefined) return false;
    at = next;
  }
  return true;
}

const catalogSchemas: ReadonlyMap<string, AvroSchema> = new Map(
  loadCatalog()
    .filter((t) => t.schema)
    .map((t) => [t.name, t.schema!]),
);
const projectedTypes = new WeakMap<FieldSelection, Map<string, Type>>();

/**
 * The Avro reader type of a catalogue topic's projection, built once per (topic, selection):
 * its identity is what the codec caches resolvers by.
 */
export function projectedType(topic: string, selection: FieldSelection): Type {
  let byTopic = projectedTypes.get(selection);
  if (!byTopic) projectedTypes.set(selection, (byTopic = new Map()));
  let type = byTopic.get(topic);
  if (!type) {
    const schema = catalogSchemas.get(topic);
    if (!schema) throw new Error(`projection: no schema is known for topic ${topic}`);
    type = Type.forSchema(projectSchema(schema, selection) as Parameters<typeof Type.forSchema>[0]);
    byTopic.set(topic, type);
  }
  return type;
}
