/**
 * Progress for long work: a live bar on a terminal, a line every few seconds when the output
 * is a log (CI), and always a summary at the end, written to stderr so stdout stays for results.
 */
import { SingleBar, MultiBar, Presets } from 'cli-progress';

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  increment(by?: number): void;
  setTotal(total: number): void;
  stop(): void;
}

export interface ProgressOptions {
  readonly label: string;
  readonly total: number;
  readonly unit?: string;
  /** Minimum milliseconds between log lines when not on a terminal. */
  readonly logEveryMs?: number;
  readonly stream?: NodeJS.WriteStream;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const unit = options.unit ?? '';
  if (stream.isTTY) {
    const bar = new SingleBar(
      { format: `${options.label} [{bar}] {percentage}% | {value}/{total} ${unit} | {eta_formatted} left`, stream, hideCursor: true },
      Presets.shades_classic,
    );
    bar.start(options.total, 0);
    return {
      update: (v, p) => bar.update(v, p),
      increment: (by = 1) => bar.increment(by),
      setTotal: (t) => bar.setTotal(t),
      stop: () => bar.stop(),
    };
  }
  let value = 0;
  let total = options.total;
  let lastLog = 0;
  const every = options.logEveryMs ?? 5_000;
  const maybeLog = (force = false): void => {
    const now = Date.now();
    if (!force && now - lastLog < every) return;
    lastLog = now;
    const pct = total > 0 ? Math.round((100 * value) / total) : 100;
    stream.write(`${options.label}: ${value}/${total} ${unit} (${pct}%)\n`);
  };
  return {
    update: (v) => {
      value = v;
      maybeLog();
    },
    increment: (by = 1) => {
      value += by;
      maybeLog();
    },
    setTotal: (t) => {
      total = t;
    },
    stop: () => maybeLog(true),
  };
}

/** One bar per task for work that runs in parallel (e.g. installing three services). */
export function createTaskBoard(tasks: readonly string[], steps: number, stream: NodeJS.WriteStream = process.stderr) {
  if (!stream.isTTY) {
    return {
      step: (task: string, value: number, phase: string) => stream.write(`${task}: ${phase} (${value}/${steps})\n`),
      stop: () => undefined,
    };
  }
  const multi = new MultiBar(
    { format: '{task} [{bar}] {phase}', stream, hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  const width = Math.max(...tasks.map((t) => t.length));
  const bars = new Map(tasks.map((t) => [t, multi.create(steps, 0, { task: t.padEnd(width), phase: 'waiting' })]));
  return {
    step: (task: string, value: number, phase: string) => bars.get(task)?.update(value, { phase }),
    stop: () => multi.stop(),
  };
}
