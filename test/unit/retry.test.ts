import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectError, RetriesExhaustedError } from '../../common/errors.js';
import { backoffDelayMs, createRetry } from '../../common/retry.js';

const fast = { retries: 3, initialDelayMs: 1, maxDelayMs: 4, multiplier: 2 };

describe('retry', () => {
  it('retries retriable errors and returns the eventual result', async () => {
    let calls = 0;
    const result = await createRetry(fast)(
      async () => {
        calls++;
        if (calls < 3) throw new ConnectError('flaky', { retriable: true });
        return 'done';
      },
      { operation: 'test' },
    );
    assert.equal(result, 'done');
    assert.equal(calls, 3);
  });

  it('does not retry non-retriable or programming errors', async () => {
    for (const error of [new ConnectError('bad request'), new TypeError('bug')]) {
      let calls = 0;
      await assert.rejects(
        createRetry(fast)(
          async () => {
            calls++;
            throw error;
          },
          { operation: 'test' },
        ),
        error,
      );
      assert.equal(calls, 1);
    }
  });

  it('retries only what the caller names when it names them', async () => {
    const unknownTopic = Object.assign(new Error('This server does not host this topic-partition'), {
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
    const outage = new ConnectError('down', { retriable: true });
    const retriable = (error: unknown): boolean => error === unknownTopic;
    let calls = 0;
    const result = await createRetry(fast)(
      async () => {
        calls++;
        if (calls < 3) throw unknownTopic;
        return 'described';
      },
      { operation: 'test', retriable },
    );
    assert.deepEqual([result, calls], ['described', 3]);
    calls = 0;
    await assert.rejects(
      createRetry(fast)(
        async () => {
          calls++;
          throw outage;
        },
        { operation: 'test', retriable },
      ),
      outage,
    );
    assert.equal(calls, 1, 'a retriable error the caller did not name is not retried');
  });

  it('gives up after the policy and wraps the last error', async () => {
    const attempts: number[] = [];
    const retry = createRetry(fast);
    await assert.rejects(
      retry(
        async () => {
          throw new ConnectError('down', { retriable: true });
        },
        { operation: 'fetch page', onRetry: (info) => attempts.push(info.attempt) },
      ),
      (error: unknown) =>
        error instanceof RetriesExhaustedError &&
        error.attempts === 4 &&
        /fetch page failed after 4 attempts/.test(error.message),
    );
    assert.deepEqual(attempts, [1, 2, 3]);
  });

  it('grows delays exponentially up to the cap and honours a larger Retry-After', () => {
    const policy = { retries: 10, initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2 };
    const top = () => 0.999999;
    assert.equal(backoffDelayMs(policy, 1, top), 100);
    assert.equal(backoffDelayMs(policy, 3, top), 400);
    assert.equal(backoffDelayMs(policy, 9, top), 1000);
    assert.equal(
      backoffDelayMs(policy, 1, () => 0),
      50,
    );
    assert.equal(backoffDelayMs(policy, 1, top, 5000), 5000);
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    const retry = createRetry({ retries: 5, initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 1 });
    const pending = retry(
      async () => {
        throw new ConnectError('down', { retriable: true });
      },
      { operation: 'x', signal: controller.signal, onRetry: () => controller.abort() },
    );
    await assert.rejects(pending, { name: 'AbortError' });
  });
});
