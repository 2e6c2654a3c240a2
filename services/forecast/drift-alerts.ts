/**
 * Where the drift check's alerts go: the alerts topic, Avro-encoded with the catalogue's alert
 * schema and keyed as the catalogue says (store_id: empty for a chain-level alert), so the
 * alerts service, the warehouse and every other reader of shelfstream.alerts see them as they
 * see the processors' alerts.
 */
import { createFastEventPublisher } from '../../lib/events/publisher';
import { EventCodec } from '../../lib/events/codec';
import { createSchemaRegistry } from '../../lib/clients/registry';
import type { Config } from '../../lib/config';
import { ShelfStreamError } from '../../lib/errors';
import { loadCatalog } from '../../schemas/catalog';
import type { Alert } from '../../schemas/generated/events';
import type { DriftCheckDeps } from './drift-check';

export const ALERTS_TOPIC = 'shelfstream.alerts';

export interface AlertsPublisher {
  readonly publishAlerts: DriftCheckDeps['publishAlerts'];
  close(): Promise<void>;
}

/** `topic`: a stand-in for shelfstream.alerts (tests, a replay); it carries the catalogue topic's schema. */
export async function openAlertsPublisher(config: Config, topic: string = ALERTS_TOPIC): Promise<AlertsPublisher> {
  const spec = loadCatalog().find((t) => t.name === ALERTS_TOPIC);
  if (!spec) throw new ShelfStreamError('CONFIG_INVALID', `the topic catalogue has no ${ALERTS_TOPIC}`);
  const catalog = [{ ...spec, name: topic }];
  const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, catalog);
  const publisher = await createFastEventPublisher(config.kafka, 'forecast', codec, catalog);
  return {
    publishAlerts: (alerts: readonly Alert[]) => publisher.publishMixed([{ topic: topic as typeof ALERTS_TOPIC, events: alerts }]),
    close: () => publisher.close(),
  };
}
