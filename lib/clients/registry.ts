/**
 * The schema registry client (Confluent wire format: magic byte 0, 4-byte schema id, Avro
 * body). It works against Confluent Schema Registry and against Apicurio's /apis/ccompat/v7.
 * Decoded schemas are cached by id inside the client, so a hot consumer fetches each id once.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { RegistryConfig } from '../config';
import { trustedCas } from './trust';

export { SchemaRegistry } from '@kafkajs/confluent-schema-registry';

/** An https agent trusting the configured CA besides the public ones; undefined: Node's default. */
function registryAgent(config: RegistryConfig): HttpsAgent | undefined {
  if (config.caFile === undefined || !config.url.startsWith('https:')) return undefined;
  return new HttpsAgent({ ca: trustedCas(config.caFile), keepAlive: true });
}

export function createSchemaRegistry(config: RegistryConfig): SchemaRegistry {
  const agent = registryAgent(config);
  return new SchemaRegistry({
    host: config.url,
    retry: { retries: 3, initialRetryTimeInSecs: 0.2, maxRetryTimeInSecs: 5 },
    ...(config.auth !== undefined ? { auth: { username: config.auth.username, password: config.auth.password } } : {}),
    ...(agent !== undefined ? { agent } : {}),
  });
}

interface RegistryResponse {
  readonly status: number;
  readonly body: string;
}

/** One JSON request to the registry with its credentials and CA (fetch takes no https agent). */
function registryPost(config: RegistryConfig, path: string, body: string, timeoutMs: number): Promise<RegistryResponse> {
  const url = new URL(`${config.url}${path}`);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const agent = registryAgent(config);
  const headers: Record<string, string> = { 'content-type': 'application/vnd.schemaregistry.v1+json', 'content-length': String(Buffer.byteLength(body)) };
  if (config.auth !== undefined) headers.authorization = `Basic ${Buffer.from(`${config.auth.username}:${config.auth.password}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'POST', headers, timeout: timeoutMs, ...(agent !== undefined ? { agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
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
  const response = await registryPost(config, `/subjects/${encodeURIComponent(subject)}`, JSON.stringify({ schema, schemaType: 'AVRO' }), 10_000);
  if (response.status === 404) return undefined;
  if (response.status === 401 || response.status === 403) {
    throw new Error(`schema registry refused the credentials (HTTP ${response.status}) for ${subject}: check SCHEMA_REGISTRY_USER and SCHEMA_REGISTRY_PASSWORD`);
  }
  if (response.status < 200 || response.status >= 300) throw new Error(`schema registry answered HTTP ${response.status} for ${subject}: ${response.body}`);
  const body = JSON.parse(response.body) as { id: number; version: number };
  return { id: body.id, version: body.version };
}
