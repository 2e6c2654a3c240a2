/**
 * Jest global setup for the integration suite: provide the real services once for the whole
 * run and export their addresses through the environment, which the test workers inherit.
 */
import { provideServices, type ProvidedServices } from './services';

declare global {
  var __SHELFSTREAM_SERVICES__: ProvidedServices | undefined;
}

export default async function globalSetup(): Promise<void> {
  const started = performance.now();
  const services = await provideServices(process.env);
  Object.assign(process.env, services.env);
  globalThis.__SHELFSTREAM_SERVICES__ = services;
  const what = services.started.length ? `started ${services.started.join(', ')}` : 'already running';
  process.stderr.write(`\n[harness] services from ${services.source}: ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}
