/**
 * The schema registry client (Confluent wire format: magic byte 0, 4-byte schema id, Avro
 * body). It works against Confluent Schema Registry and against Apicurio's /apis/ccompat/v7.
 * Decoded schemas are cached by id inside the client, so a hot consumer fetches each id once.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { RegistryConfig } from '../config';

export { SchemaRegistry } from '@kafkajs/confluent-schema-registry';

export function createSchemaRegistry(config: RegistryConfig): SchemaRegistry {
  return new SchemaRegistry({ host: config.url, retry: { retries: 3, initialRetryTimeInSecs: 0.2, maxRetryTimeInSecs: 5 } });
}

/**
 * Looks up `schema` under `subject` (POST /subjects/{subject}). Answers the id and version
 * when that exact schema is registered, undefined when the subject or the schema is unknown.
 * Done over plain HTTP because the client library drops the status code of its errors, and
 * "not registered yet" must not be confused with "registry unreachable".
 */
export async function lookupSchema(
  config: RegistryConfig,
  subject: string,
  schema: string,
): Promise<{ id: number; version: number } | undefined> {
  const response = await fetch(`${config.url}/subjects/${encodeURIComponent(subject)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema, schemaType: 'AVRO' }),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`schema registry answered HTTP ${response.status} for ${subject}: ${await response.text()}`);
  const body = (await response.json()) as { id: number; version: number };
  return { id: body.id, version: body.version };
}
