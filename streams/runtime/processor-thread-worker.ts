/**
 * The processors' worker thread (started by ./processor-thread.ts for `run all` and `demo`):
 * kafkajs, the decoding, the tasks and the flushes' row encoding run here, on this thread's
 * event loop, so the owner's (the SQL endpoint's HTTP, the web app, every chDB call) is not held
 * by a batch. Its ClickHouse client is an ordinary `@clickhouse/client`: over the owner's engine
 * connection in embedded mode (the calls cross as messages), its own HTTP client for a server.
 * The configuration comes parsed from the owner; logs go to the owner's logger as finished lines.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createClient } from '@clickhouse/client';
import { createClickHouse, type ClickHouseClient } from '../../lib/clients/clickhouse';
import { createPortConnection } from '../../lib/clients/clickhouse-port';
import { createKafka } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { threadLogger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { loadCatalog } from '../../schemas/catalog';
import { buildProcessor } from '../processors';
import { startProcessor, type RunningProcessor } from './runner';
import { toWireError, type FromThread, type ProcessorThreadData, type ToThread } from './processor-thread-messages';

async function main(port: MessagePort, data: ProcessorThreadData): Promise<void> {
  const post = (message: FromThread): void => port.postMessage(message);
  const { config } = data;
  const logger = threadLogger(config.logLevel, (line) => post({ kind: 'log', line }));
  // Never the chDB engine here: it belongs to the owner (one engine per process).
  const clickhouse: ClickHouseClient = data.clickhousePort
    ? createClient({ connection: createPortConnection(data.clickhousePort), request_timeout: config.clickhouse.requestTimeoutMs })
    : createClickHouse(config.clickhouse);
  // Process-wide figures (memory, CPU) are the owner's to report: only the processors' own here.
  const metrics = createMetrics(data.service, { collectDefaults: false });
  const running = new Map<string, RunningProcessor>();
  let closing = false;

  port.on('message', (message: ToThread) => {
    switch (message.kind) {
      case 'stop':
        return void running.get(message.name)?.stop();
      case 'flush': {
        const processor = running.get(message.name);
        if (!processor) return post({ kind: 'flushed', id: message.id, error: { name: 'Error', message: `no processor ${message.name} runs in this thread` } });
        return void processor.flush().then(
          () => post({ kind: 'flushed', id: message.id }),
          (error: unknown) => post({ kind: 'flushed', id: message.id, error: toWireError(error) }),
        );
      }
      case 'metrics':
        return void metrics.registry.getMetricsAsJSON().then((json) => post({ kind: 'metrics', id: message.id, metrics: json }));
      case 'close':
        if (closing) return;
        closing = true;
        void (async () => {
          await Promise.all([...running.values()].map((r) => r.stop()));
          await clickhouse.close();
          port.close(); // nothing else holds the thread: it exits
        })();
        return;
    }
  });

  try {
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
    const kafka = createKafka(config.kafka, logger, 'stream');
    for (const spec of data.processors) {
      const topics = spec.topics ?? {};
      const definition = await buildProcessor(spec.name, config, { topics });
      const processor = await startProcessor(definition, { kafka, codec, clickhouse, logger, metrics }, {
        ...config.streams,
        database: spec.database ?? config.clickhouse.database,
        outputTopics: topics,
        ...(spec.groupId === undefined ? {} : { groupId: spec.groupId }),
        ...(spec.stopWhenIdleMs === undefined ? {} : { stopWhenIdleMs: spec.stopWhenIdleMs }),
      });
      running.set(spec.name, processor);
      void processor.stopped.then(() => post({ kind: 'stopped', name: spec.name }));
      post({ kind: 'started', name: spec.name, inputs: [...definition.inputs], tables: [...definition.tables] });
    }
    post({ kind: 'ready' });
  } catch (error) {
    // Those started stop (flushed, committed); the owner hears the failure once they have.
    await Promise.all([...running.values()].map((r) => r.stop()));
    post({ kind: 'failed', error: toWireError(error) });
    await clickhouse.close();
    port.close();
  }
}

if (parentPort) void main(parentPort, workerData as ProcessorThreadData);
