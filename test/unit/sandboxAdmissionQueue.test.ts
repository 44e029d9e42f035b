import { AdmissionQueue } from '../../competitor/sandbox/admissionQueue';

function queueUnderTest(max: number, timeoutMs = 60_000): { queue: AdmissionQueue<string>; lengths: number[]; timedOut: string[] } {
  const lengths: number[] = [];
  const timedOut: string[] = [];
  const queue = new AdmissionQueue<string>({ max, timeoutMs, onTimeout: (entry) => timedOut.push(entry), onLengthChange: (length) => lengths.push(length) });
  return { queue, lengths, timedOut };
}

describe('AdmissionQueue', () => {
  it('is first in, first out, and refuses an entry past max', () => {
    const { queue, lengths } = queueUnderTest(2);
    expect(queue.offer('a')).toBe(true);
    expect(queue.offer('b')).toBe(true);
    expect(queue.full).toBe(true);
    expect(queue.offer('c')).toBe(false);
    expect([queue.takeNext(), queue.takeNext(), queue.takeNext()]).toEqual(['a', 'b', undefined]);
    expect(lengths).toEqual([1, 2, 1, 0]);
  });

  it('takes an entry out from anywhere, and drains the rest in order', () => {
    const { queue } = queueUnderTest(5);
    for (const entry of ['a', 'b', 'c', 'd']) queue.offer(entry);
    expect(queue.remove('b')).toBe(true);
    expect(queue.remove('b')).toBe(false);
    expect(queue.drain()).toEqual(['a', 'c', 'd']);
    expect(queue.length).toBe(0);
  });

  it('times an entry out once it waited timeoutMs, out of the queue before onTimeout runs', async () => {
    const { queue, timedOut } = queueUnderTest(5, 30);
    queue.offer('slow');
    queue.offer('taken');
    expect(queue.remove('taken')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(timedOut).toEqual(['slow']);
    expect(queue.length).toBe(0);
  });

  it('never times out an entry that left the queue', async () => {
    const { queue, timedOut } = queueUnderTest(5, 20);
    queue.offer('a');
    queue.offer('b');
    queue.takeNext();
    queue.drain();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(timedOut).toEqual([]);
  });
});
