/**
 * Where callers start a processor: the kafkajs adapter (kafkajs-adapter.ts) over the runtime's
 * broker-free core (core.ts). Kept under this name so the commands, benchmarks and tests that
 * import it need no change.
 */
export { startProcessor, type RunnerDeps, type RunnerOptions, type RunningProcessor } from './kafkajs-adapter';
