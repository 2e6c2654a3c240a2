/**
 * A child process that publishes bench sales at a fixed rate with occurred_at = now, for the
 * velocity benchmark's latency phase: the producer (Avro encoding, kafkajs' produce path, their
 * garbage) then runs on its own event loop and heap, not on the processor's it measures. Reads
 * the service settings from the environment like the bench runner; arguments: topic, events/s,
 * seconds (at most: a `{ stop: true }` message from the parent ends it sooner, for a bench whose
 * phase ends when its other load does). Answers the achieved rate to its parent (process.send)
 * and exits.
 */
import pino from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../lib/config';
import { createKafka, createProducer, type IdempotentProducer } from '../lib/clients/kafka';
import { createSchemaRegistry } from '../lib/clients/registry';
import { EventCodec } from '../lib/events/codec';
import { createLogger } from '../lib/logger';
import { loadCatalog } from '../schemas/catalog';
import { benchSale } from './harness';

/** Sends `rate` sales a second for `seconds` (or until `until()`) in ticks of 50 ms; answers the achieved rate. */
export async function produceLiveSales(producer: IdempotentProducer, codec: EventCodec, topic: string, rate: number, seconds: number, until: () => boolean = () => false): Promise<number> {
  const tickMs = 50;
  const perTick = (rate * tickMs) / 1000;
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < seconds * 1000 && !until()) {
    const now = Date.now();
    const messages = Array.from({ length: perTick }, (_, k) => {
      const sale = benchSale(sent + k, now);
      return { key: sale.store_id, value: codec.encode('pos.sales', sale) };
    });
    sent += perTick;
    await producer.send({ topic, acks: -1, messages });
    const behind = start + (sent / rate) * 1000 - performance.now();
    if (behind > 0) await sleep(behind);
  }
  return sent / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const [topic, rate, seconds] = process.argv.slice(2);
  if (!topic || !rate || !seconds) throw new Error('usage: live-sales-producer <topic> <events/s> <seconds>');
  const config = loadConfig(process.env);
  const logger = createLogger({ level: 'warn', service: 'bench-live-producer', destination: pino.destination({ fd: 2, sync: true }) });
  const kafka = createKafka(config.kafka, logger, 'bench-live-producer');
  const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
  const producer = createProducer(kafka);
  await producer.connect();
  let stopped = false;
  const onMessage = (m: { stop?: boolean }): void => void (stopped ||= m.stop === true);
  process.on('message', onMessage);
  try {
    const achieved = await produceLiveSales(producer, codec, topic, Number(rate), Number(seconds), () => stopped);
    // Written before the process goes on to exit, so the parent always gets its answer.
    await new Promise<void>((resolve) => (process.send ? process.send({ rate: achieved }, undefined, {}, () => resolve()) : resolve()));
  } finally {
    process.off('message', onMessage); // the listener alone would keep the process alive
    await producer.disconnect();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`live-sales-producer: ${String(error)}\n`);
    process.exitCode = 1;
  });
}
