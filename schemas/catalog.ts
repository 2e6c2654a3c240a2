/**
 * Loads the topic catalogue (`topics.json`) and the Avro schema files it names, checking both
 * so that a typo fails at `init` with the file and field named, not at the first produce.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'avsc';
import { z } from 'zod';
import { ShelfStreamError } from '../lib/errors';
import { SCHEMAS_DIR } from '../lib/paths';

export const TOPIC_KINDS = ['event', 'master-data', 'dead-letter', 'alert', 'changelog'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

const topicSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9._-]*$/, 'topic names are lower case: letters, digits, ., _ and -'),
  kind: z.enum(TOPIC_KINDS),
  schema: z.string().endsWith('.avsc').optional(),
  key: z.string(),
  doc: z.string().min(1),
});

const catalogSchema = z.object({ topics: z.array(topicSchema).min(1) });

export interface TopicSpec {
  readonly name: string;
  readonly kind: TopicKind;
  readonly key: string;
  readonly doc: string;
  /** Registry subject of the value schema (TopicNameStrategy), when the topic has one. */
  readonly subject?: string;
  /** The Avro schema, parsed from its .avsc file. */
  readonly schema?: AvroSchema;
  readonly schemaFile?: string;
}

export type AvroSchema = { readonly type: string; readonly name?: string; readonly [key: string]: unknown };

export function subjectFor(topic: string): string {
  return `${topic}-value`;
}

export function loadCatalog(dir: string = SCHEMAS_DIR): readonly TopicSpec[] {
  const file = join(dir, 'topics.json');
  let parsed: z.infer<typeof catalogSchema>;
  try {
    parsed = catalogSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    throw new ShelfStreamError('SCHEMA_INVALID', `${file} is not a valid topic catalogue: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const seen = new Set<string>();
  return parsed.topics.map((t) => {
    if (seen.has(t.name)) throw new ShelfStreamError('SCHEMA_INVALID', `${file}: topic ${t.name} is listed twice`);
    seen.add(t.name);
    if (!t.schema) return { name: t.name, kind: t.kind, key: t.key, doc: t.doc };
    const schemaFile = join(dir, t.schema);
    if (!existsSync(schemaFile)) {
      throw new ShelfStreamError('SCHEMA_INVALID', `${file}: topic ${t.name} names ${t.schema}, which does not exist in ${dir}`);
    }
    let schema: AvroSchema;
    try {
      schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as AvroSchema;
    } catch (error) {
      throw new ShelfStreamError('SCHEMA_INVALID', `${schemaFile} is not valid JSON`, { cause: error });
    }
    try {
      Type.forSchema(schema as Parameters<typeof Type.forSchema>[0]);
    } catch (error) {
      throw new ShelfStreamError('SCHEMA_INVALID', `${schemaFile} is not a valid Avro schema: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    return { name: t.name, kind: t.kind, key: t.key, doc: t.doc, subject: subjectFor(t.name), schema, schemaFile };
  });
}
