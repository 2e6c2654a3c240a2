/** Stops what the global setup started, and nothing else, even when tests failed. */
export default async function globalTeardown(): Promise<void> {
  const services = globalThis.__SHELFSTREAM_SERVICES__;
  if (!services) return;
  await services.stop();
  if (services.started.length) process.stderr.write(`[harness] stopped ${services.started.join(', ')}\n`);
}
