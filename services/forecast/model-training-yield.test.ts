import { EVENT_LOOP_SLICE_MS } from '../../lib/event-loop';
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

describe('trainModel beside a stream processor', () => {
  // `run all` and `demo` train in the process that runs the processors: a training that never
  // yields holds their fetches, heartbeats and HTTP answers until it ends (23 s on the demo's data).
  it('lets other callbacks run while it trains', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    try {
      await trainModel(syntheticData(4_000, 40), ['A'], { ...TRAIN_DEFAULTS, epochs: 4, batchSize: 64, validationWeeks: 0 });
    } finally {
      clearInterval(timer);
    }
    const slices = (performance.now() - started) / EVENT_LOOP_SLICE_MS;
    expect(slices).toBeGreaterThan(5); // the precondition: the training was long enough to yield
    expect(ticks).toBeGreaterThan(slices / 4);
  });
});
