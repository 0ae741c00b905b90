import { describe, expect, it } from 'vitest';
import { processPartialBatch } from '../../../functions/pipeline/partial-batch.ts';

interface Rec {
  id: string;
  group?: string;
}

const failOn = (ids: string[], seen: string[]) => async (r: Rec) => {
  seen.push(r.id);
  if (ids.includes(r.id)) throw new Error(`boom ${r.id}`);
};

describe('processPartialBatch', () => {
  it('reports only the records that threw, in batch order', async () => {
    const seen: string[] = [];
    const records = ['a', 'b', 'c', 'd'].map((id) => ({ id }));
    const out = await processPartialBatch(records, failOn(['d', 'b'], seen), { identify: (r) => r.id });
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'b' }, { itemIdentifier: 'd' }]);
    expect(seen.sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('reports nothing when every record succeeds', async () => {
    const out = await processPartialBatch([{ id: 'a' }], async () => undefined, { identify: (r) => r.id });
    expect(out).toEqual({ batchItemFailures: [] });
  });

  it('in FIFO groups, fails the rest of a group after a failure without running it, and runs other groups', async () => {
    const seen: string[] = [];
    const records: Rec[] = [
      { id: 'a1', group: 'a' },
      { id: 'b1', group: 'b' },
      { id: 'a2', group: 'a' },
      { id: 'b2', group: 'b' },
      { id: 'a3', group: 'a' },
    ];
    const out = await processPartialBatch(records, failOn(['a2'], seen), { identify: (r) => r.id, groupOf: (r) => r.group });
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['a2', 'a3']);
    expect(seen).not.toContain('a3');
    expect(seen).toEqual(expect.arrayContaining(['a1', 'a2', 'b1', 'b2']));
  });

  it('runs one group in order, never two of its records at once', async () => {
    let running = 0;
    let overlap = false;
    const order: string[] = [];
    const records: Rec[] = Array.from({ length: 6 }, (_, i) => ({ id: `m${i}`, group: 'g' }));
    await processPartialBatch(
      records,
      async (r) => {
        running++;
        if (running > 1) overlap = true;
        await new Promise((resolve) => setImmediate(resolve));
        order.push(r.id);
        running--;
      },
      { identify: (r) => r.id, groupOf: (r) => r.group },
    );
    expect(overlap).toBe(false);
    expect(order).toEqual(records.map((r) => r.id));
  });

  it('for streams, stops at the first failure and reports it and everything after', async () => {
    const seen: string[] = [];
    const records = ['1', '2', '3', '4'].map((id) => ({ id }));
    const out = await processPartialBatch(records, failOn(['2'], seen), { identify: (r) => r.id, stopOnFirstFailure: true });
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['2', '3', '4']);
    expect(seen).toEqual(['1', '2']);
  });
});
