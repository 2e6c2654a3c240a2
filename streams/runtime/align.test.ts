import { EventTimeAligner } from './align';

/** Everything the aligner hands out while `drained` holds, as `topic:item`. */
function drain(a: EventTimeAligner<string>, drained: (topic: string) => boolean): string[] {
  const out: string[] = [];
  for (let n = a.next(drained); n; n = a.next(drained)) out.push(`${n.topic}:${n.item}`);
  return out;
}

describe('EventTimeAligner', () => {
  it('hands records out in event-time order across inputs, ties to the input listed first, each input in its own order', () => {
    const a = new EventTimeAligner<string>(['counts', 'sales']);
    a.push('sales', 's1', 10);
    a.push('sales', 's2', 30);
    a.push('sales', 's3', 20); // out of order within its partition: still after s2
    a.push('counts', 'c1', 20);
    a.push('counts', 'c2', 30);
    expect(drain(a, () => true)).toEqual(['sales:s1', 'counts:c1', 'counts:c2', 'sales:s2', 'sales:s3']);
  });

  it('waits for an input with nothing buffered unless it was read to its end, whatever order batches came in', () => {
    const byBatches = (order: ('counts' | 'sales')[]): string[] => {
      const batches = { counts: [['c1', 5], ['c2', 25]] as const, sales: [['s1', 10], ['s2', 20], ['s3', 30]] as const };
      const a = new EventTimeAligner<string>(['counts', 'sales']);
      const left = { counts: 2, sales: 3 };
      const out: string[] = [];
      for (const topic of order) {
        const [item, at] = batches[topic][batches[topic].length - left[topic]]!;
        left[topic]--;
        a.push(topic, item, at);
        // An input is drained once every record of it has been pushed (its end is known).
        out.push(...drain(a, (t) => left[t as 'counts' | 'sales'] === 0));
      }
      return out;
    };
    const expected = ['counts:c1', 'sales:s1', 'sales:s2', 'counts:c2', 'sales:s3'];
    expect(byBatches(['sales', 'sales', 'sales', 'counts', 'counts'])).toEqual(expected);
    expect(byBatches(['counts', 'counts', 'sales', 'sales', 'sales'])).toEqual(expected);
    expect(byBatches(['sales', 'counts', 'sales', 'counts', 'sales'])).toEqual(expected);
  });

  it('reports what it buffers and which inputs it waits for, and refuses a topic it does not know', () => {
    const a = new EventTimeAligner<string>(['counts', 'sales']);
    a.push('sales', 's1', 1);
    expect(a.next(() => false)).toBeUndefined();
    expect(a.buffered('sales')).toBe(1);
    expect(a.empty()).toEqual(['counts']);
    expect(() => a.push('pos.voids', 'v', 1)).toThrow('pos.voids is not an input of this task (counts, sales)');
  });

  it('keeps order through its queue compaction on long queues', () => {
    const a = new EventTimeAligner<number>(['sales']);
    for (let i = 0; i < 20_000; i++) a.push('sales', i, i);
    const got: number[] = [];
    for (let n = a.next(() => true); n; n = a.next(() => true)) got.push(n.item);
    expect(got).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
  });
});
