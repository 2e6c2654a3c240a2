/**
 * Worker-thread entry of a sharded backfill: simulates its stores and publishes them with its
 * own producer; ground truth and progress go back to the parent, which owns the files.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { kafkaSecurityFailure } from '../../lib/clients/kafka-security';
import { describeError, isShelfStreamError } from '../../lib/errors';
import { secretValues } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { transferables } from './ground-truth';
import { type WorkerMessage, type WorkerTask, openPublisher, runShard } from './run';

const port = parentPort;
const post = (message: WorkerMessage): void => port?.postMessage(message);

async function main(task: WorkerTask): Promise<void> {
  const logger = createLogger({ level: task.config.logLevel, service: 'simulator', destination: pino.destination({ fd: 2, sync: true }), secrets: secretValues(task.config) });
  const opened = await openPublisher({ config: task.config, logger }, 'simulator', task.pipeline.topicPrefix);
  try {
    // Start together: the parent measures from the moment every shard is connected.
    const go = new Promise((resolve) => port?.once('message', resolve));
    post({ type: 'ready' });
    await go;
    const result = await runShard(opened, task.simulation, task.pipeline, {
      truth: (bytes) => port?.postMessage({ type: 'truth', bytes } satisfies WorkerMessage, transferables(bytes)),
      progress: (hours, events) => post({ type: 'progress', hours, events }),
    });
    await opened.publisher.close();
    post({ type: 'done', result });
  } catch (error) {
    await opened.publisher.close().catch(() => undefined);
    throw error;
  }
}

main(workerData as WorkerTask).catch((thrown: unknown) => {
  // A refused certificate or password is named here: only a message crosses to the parent.
  const error = kafkaSecurityFailure(thrown, (workerData as WorkerTask).config.kafka) ?? thrown;
  post({ type: 'error', code: isShelfStreamError(error) ? error.code : undefined, message: describeError(error) });
});
