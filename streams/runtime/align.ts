/**
 * Event-time alignment of a co-partitioned task's inputs (Kafka Streams' record selection by
 * timestamp): the next record handed to the task is the earliest, by event time, at the head of
 * its inputs' queues, and an input with nothing buffered holds the others back unless it has
 * been read to its end.
 *
 * Why: a consumer hands batches topic by topic, in sizes that depend on fetch limits, timing and
 * where a restart resumed. A task that joins topics (sales judged against the books of
 * counts and deliveries) then sees a different interleaving on every run, and its decisions
 * differ with it: a replay, a catch-up after a crash or a rebuild would not reproduce what a
 * clean run emitted. Ordered by event time, the interleaving is a function of the records alone,
 * and live (inputs at their end) nothing waits.
 */

interface Queue<T> {
  items: { item: T; at: number }[];
  head: number;
}

export class EventTimeAligner<T> {
  private readonly queues: Queue<T>[];

  /** `inputs` in the order that breaks ties between equal event times. */
  constructor(private readonly inputs: readonly string[]) {
    this.queues = inputs.map(() => ({ items: [], head: 0 }));
  }

  private queue(topic: string): Queue<T> {
    const i = this.inputs.indexOf(topic);
    if (i < 0) throw new Error(`${topic} is not an input of this task (${this.inputs.join(', ')})`);
    return this.queues[i]!;
  }

  /** Buffers a record of `topic` read in offset order; `at` is its event time (ms). */
  push(topic: string, item: T, at: number): void {
    this.queue(topic).items.push({ item, at });
  }

  /** Records of `topic` buffered and not handed out yet. */
  buffered(topic: string): number {
    const q = this.queue(topic);
    return q.items.length - q.head;
  }

  /**
   * The next record in event-time order, or undefined when nothing is buffered or an input with
   * an empty queue is not `drained` (it has records still to arrive, which may be earlier).
   */
  next(drained: (topic: string) => boolean): { topic: string; item: T } | undefined {
    let best = -1;
    let bestAt = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.queues.length; i++) {
      const q = this.queues[i]!;
      if (q.head < q.items.length) {
        // Strictly earlier only: equal times go to the input listed first.
        if (best < 0 || q.items[q.head]!.at < bestAt) {
          best = i;
          bestAt = q.items[q.head]!.at;
        }
      } else if (!drained(this.inputs[i]!)) {
        return undefined;
      }
    }
    if (best < 0) return undefined;
    const q = this.queues[best]!;
    const { item } = q.items[q.head]!;
    q.head++;
    if (q.head === q.items.length) {
      q.items = [];
      q.head = 0;
    } else if (q.head >= 4_096 && q.head * 2 >= q.items.length) {
      // Amortised compaction: shifting one at a time would make a long queue quadratic.
      q.items = q.items.slice(q.head);
      q.head = 0;
    }
    return { topic: this.inputs[best]!, item };
  }

  /** The inputs with an empty queue (those a blocked `next` waits for). */
  empty(): string[] {
    return this.inputs.filter((_, i) => this.queues[i]!.head >= this.queues[i]!.items.length);
  }
}
