/**
 * Registers each topic's value schema under `<topic>-value` with BACKWARD compatibility. A
 * schema already registered is left alone (reported as unchanged); a change the registry
 * finds incompatible is refused with the subject and the registry's reason.
 */
import { COMPATIBILITY, SchemaType, type SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { lookupSchema } from '../../lib/clients/registry';
import type { RegistryConfig } from '../../lib/config';
import { ShelfStreamError, describeError } from '../../lib/errors';
import type { TopicSpec } from '../../schemas/catalog';

export type SchemaOutcome = { readonly subject: string; readonly id: number; readonly outcome: 'registered' | 'unchanged' };

export async function registerSchemas(
  registry: SchemaRegistry,
  registryConfig: RegistryConfig,
  topics: readonly TopicSpec[],
): Promise<SchemaOutcome[]> {
  const outcomes: SchemaOutcome[] = [];
  for (const topic of topics) {
    if (!topic.schema || !topic.subject) continue;
    const schema = JSON.stringify(topic.schema);
    let existing;
    try {
      existing = await lookupSchema(registryConfig, topic.subject, schema);
    } catch (error) {
      throw new ShelfStreamError('SERVICE_UNAVAILABLE', `schema registry at ${registryConfig.url}: ${describeError(error)}`, {
        cause: error,
        context: { topic: topic.name, subject: topic.subject },
      });
    }
    if (existing !== undefined) {
      outcomes.push({ subject: topic.subject, id: existing.id, outcome: 'unchanged' });
      continue;
    }
    try {
      const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject: topic.subject, compatibility: COMPATIBILITY.BACKWARD });
      outcomes.push({ subject: topic.subject, id, outcome: 'registered' });
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 409) {
        throw new ShelfStreamError(
          'SCHEMA_INCOMPATIBLE',
          `${topic.schemaFile}: the registry refused the new schema for ${topic.subject} as not BACKWARD compatible (${describeError(error)}). ` +
            'Add new fields with a default, never remove or retype one: consumers on the old schema must still read new records.',
          { cause: error, context: { topic: topic.name, subject: topic.subject } },
        );
      }
      throw new ShelfStreamError('SERVICE_UNAVAILABLE', `registering ${topic.subject} failed: ${describeError(error)}`, {
        cause: error,
        context: { topic: topic.name, subject: topic.subject },
      });
    }
  }
  return outcomes;
}
