/**
 * Event-time windows and watermarks: pure functions and small classes, no I/O.
 *
 * A partition's watermark is the largest event time seen minus the bounded out-of-orderness;
 * a window [start, end) closes once the watermark passes end + allowed lateness. A record for
 * a window that has closed is late: the processor counts it and applies its stated policy.
 * Everything here is a deterministic function of the record sequence of one partition, which
 * is what lets a replay reproduce the exact same rows.
 */

export interface WindowSpec {
  /** Window length in milliseconds. */
  readonly sizeMs: number;
  /** Distance between window starts; equal to sizeMs for tumbling windows. */
  readonly advanceMs: number;
}

export function tumbling(sizeMs: number): WindowSpec {
  return { sizeMs, advanceMs: sizeMs };
}

export function hopping(sizeMs: number, advanceMs: number): WindowSpec {
  if (advanceMs <= 0 || advanceMs > sizeMs || sizeMs % advanceMs !== 0) {
    throw new Error(`a hopping window's advance (${advanceMs} ms) must divide its size (${sizeMs} ms)`);
  }
  return { sizeMs, advanceMs };
}

/** Starts of every window that contains `timestampMs`, oldest first (one for tumbling windows). */
export function windowStarts(spec: WindowSpec, timestampMs: number): number[] {
  const lastStart = Math.floor(timestampMs / spec.advanceMs) * spec.advanceMs;
  const starts: number[] = [];
  for (let start = lastStart - spec.sizeMs + spec.advanceMs; start <= lastStart; start += spec.advanceMs) starts.push(start);
  return starts;
}

export function tumblingStart(sizeMs: number, timestampMs: number): number {
  return Math.floor(timestampMs / sizeMs) * sizeMs;
}

export interface WatermarkOptions {
  /** How far behind the newest event a record may arrive and still be in order (ms). */
  readonly maxOutOfOrderMs: number;
  /** How long after the watermark passes a window's end it still accepts records (ms). */
  readonly allowedLatenessMs: number;
}

/**
 * Tracks one partition's watermark. `restore` sets it from a checkpoint (the commit metadata)
 * so that, after a restart, windows that were closed and written before are known to be closed.
 */
export class Watermark {
  private maxEventTimeMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: WatermarkOptions) {}

  observe(eventTimeMs: number): void {
    if (eventTimeMs > this.maxEventTimeMs) this.maxEventTimeMs = eventTimeMs;
  }

  /** The watermark: no record older than this is expected any more. */
  get valueMs(): number {
    return this.maxEventTimeMs - this.options.maxOutOfOrderMs;
  }

  get maxEventTime(): number {
    return this.maxEventTimeMs;
  }

  /** True when a window ending at `endMs` accepts no more records. */
  isClosed(endMs: number): boolean {
    return this.valueMs >= endMs + this.options.allowedLatenessMs;
  }

  restore(maxEventTimeMs: number): void {
    if (maxEventTimeMs > this.maxEventTimeMs) this.maxEventTimeMs = maxEventTimeMs;
  }
}
