/**
 * Long computations that share a process with the stream processors (`run all` and `demo` train
 * and predict the forecast beside them) give the event loop back every few milliseconds. A
 * training loop awaits only promises that resolve as microtasks (tfjs' `data()` on the wasm
 * backend), which never let I/O run: measured on the demo's data (10 stores x 200 skus, 70 days),
 * one training held the loop for 23 s, past the 10 s session timeout of the alert
 * subscriptions' consumer, which the broker then dropped from its group.
 */

/** How long a computation may hold the event loop before it lets timers and I/O run. */
export const EVENT_LOOP_SLICE_MS = 10;

/** Resolves after the I/O and timers waiting now have run (a macrotask, unlike `await promise`). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A checkpoint for a long loop: call it once per unit of work; it yields when the loop has held
 * the thread for `sliceMs` since the last yield, and is a clock read otherwise. `clock` is
 * performance.now but in tests.
 */
export function eventLoopCheckpoint(sliceMs: number = EVENT_LOOP_SLICE_MS, clock: () => number = () => performance.now()): () => Promise<void> | undefined {
  let since = clock();
  return () => {
    if (clock() - since < sliceMs) return undefined;
    return yieldToEventLoop().then(() => {
      since = clock();
    });
  };
}
