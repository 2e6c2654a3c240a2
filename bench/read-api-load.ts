/**
 * What store systems ask the read API in the web bench: each store's at-risk list (the 50 stores
 * of the synthetic year in turn, 50 rows) at a fixed rate, open loop: each request is timed from
 * when it was due, so a stall of the server counts for every request it delayed. Samples are
 * those latencies (ms). Before anything is timed, one request per store, one after another:
 * every store's answer in the API's cache and this client's code compiled, the same way in a
 * child process and in the bench's own (bench/load-child.ts).
 */
import { Agent, get as httpGet } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { serveLoad, type PreparedLoad } from './load-child';

export interface ReadApiLoadArgs {
  /** The read API's base URL. */
  readonly url: string;
  /** An API key whose scope holds every store. */
  readonly key: string;
  readonly ratePerS: number;
}

const STORES = Array.from({ length: 50 }, (_, i) => `S${String(i + 1).padStart(3, '0')}`);

/** Requests at `ratePerS` until `until()` says stop; each latency in ms from when it was due. */
export async function openLoop(call: () => Promise<void>, ratePerS: number, until: () => boolean): Promise<number[]> {
  const intervalMs = 1000 / ratePerS;
  const latencies: number[] = [];
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; !until(); i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(call().then(() => void latencies.push(performance.now() - due)));
  }
  await Promise.all(inFlight);
  return latencies;
}

export async function prepareReadApiLoad(args: ReadApiLoadArgs): Promise<PreparedLoad> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const atRisk = (store: string): Promise<void> =>
    new Promise((resolve, reject) => {
      httpGet(`${args.url}/v1/stores/${store}/at-risk?limit=50`, { agent, headers: { authorization: `Bearer ${args.key}` } }, (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`read API answered ${response.statusCode} for ${store}`))));
        response.on('error', reject);
      }).on('error', reject);
    });
  for (const store of STORES) await atRisk(store);
  let next = 0;
  return {
    run: (until) => openLoop(() => atRisk(STORES[next++ % STORES.length]!), args.ratePerS, until),
    close: async () => agent.destroy(),
  };
}

if (require.main === module) serveLoad(prepareReadApiLoad);
