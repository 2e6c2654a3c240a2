import { readFileSync } from 'node:fs';
import { EVENT_LOOP_SLICE_MS } from '../../lib/event-loop';
import { parseSchedstat } from '../../lib/thread-stats';
import { HORIZON } from './features';
import { TRAIN_DEFAULTS } from './model-artifact';
import { type TrainData, trainModel } from './model-training';

/** Random but fixed samples: enough rows and epochs that training takes many event-loop slices. */
function syntheticData(rows: number, width: number): TrainData {
  let state = 7;
  const next = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  return {
    inputs: Float32Array.from({ length: rows * width }, next),
    targets: Float32Array.from({ length: rows * HORIZON }, () => Math.floor(next() * 4)),
    scale: new Float32Array(rows).fill(1),
    rows,
    width,
  };
}

/**
 * This thread's CPU time (ms), where the kernel gives it (Linux), else the wall clock. Slices are
 * counted in CPU time: on a loaded machine (CI runs two test files at once on 2 cores) the thread
 * waits for a core between its yields, which stretches the wall time, not the work it did.
 */
function threadMs(): number {
  try {
    return parseSchedstat(readFileSync('/proc/thread-self/schedstat', 'utf8')).runNs / 1e6;
  } catch {
    return performance.now();
  }
}

describe('trainModel beside a stream processor', () => {
  // `run all` and `demo` train in the process that runs the processors: a training that never
  // yields holds their fetches, heartbeats and HTTP answers until it ends (23 s on the demo's data).
  it('lets other callbacks run while it trains', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = threadMs();
    try {
      await trainModel(syntheticData(4_000, 40), ['A'], { ...TRAIN_DEFAULTS, epochs: 4, batchSize: 64, validationWeeks: 0 });
    } finally {
      clearInterval(timer);
    }
    const slices = (threadMs() - started) / EVENT_LOOP_SLICE_MS;
    expect(slices).toBeGreaterThan(5); // the precondition: the training was long enough to yield
    expect(ticks).toBeGreaterThan(slices / 4);
  });
});
