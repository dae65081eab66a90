import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, ConnectError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { DependencyUnavailableError, waitForDependency } from '../../common/startup.js';

const logger = createLogger({ level: 'silent', format: 'json' });
const noJitter = (): number => 0;

describe('waiting for a dependency at start', () => {
  it('retries until the dependency answers, reporting why meanwhile and clearing the reason after', async () => {
    const reasons: Array<string | undefined> = [];
    let calls = 0;
    const result = await waitForDependency(
      async () => {
        if (++calls < 3) throw new ConnectError('connect ECONNREFUSED 127.0.0.1:9092');
        return 'connected';
      },
      {
        dependency: 'Kafka at 127.0.0.1:9092',
        timeoutMs: 10_000,
        logger,
        random: noJitter,
        onWaiting: (reason) => reasons.push(reason),
      },
    );
    assert.equal(result, 'connected');
    assert.equal(calls, 3);
    assert.equal(reasons.length, 3);
    assert.match(reasons[0] ?? '', /^waiting for Kafka at 127\.0\.0\.1:9092: ConnectError: connect ECONNREFUSED/);
    assert.equal(reasons.at(-1), undefined, 'ready once reached');
  });

  it('gives up after the deadline with the last failure', async () => {
    await assert.rejects(
      waitForDependency(() => Promise.reject(new ConnectError('registry down')), {
        dependency: 'the registry',
        timeoutMs: 300,
        logger,
        random: noJitter,
      }),
      (error: unknown) =>
        error instanceof DependencyUnavailableError &&
        /the registry still unreachable after \d+ s: ConnectError: registry down/.test(error.message),
    );
  });

  it('does not wait on what no wait can fix: configuration, credentials, bugs', async () => {
    for (const permanent of [
      new ConfigError([{ key: 'kafka.brokers', expected: 'host:port', found: '"x"' }]),
      Object.assign(new Error('bad password'), { name: 'KafkaJSSASLAuthenticationError' }),
      new TypeError('oops'),
    ]) {
      let calls = 0;
      await assert.rejects(
        waitForDependency(
          () => {
            calls++;
            return Promise.reject(permanent);
          },
          { dependency: 'Kafka', timeoutMs: 10_000, logger, random: noJitter },
        ),
        (error: unknown) => error === permanent,
      );
      assert.equal(calls, 1, `${permanent.name} is not retried`);
    }
  });

  it('takes a narrower rule of what is permanent from the caller', async () => {
    let calls = 0;
    const refusal = new ConnectError('group used by another deployment');
    await assert.rejects(
      waitForDependency(
        () => {
          calls++;
          return Promise.reject(refusal);
        },
        {
          dependency: 'Kafka',
          timeoutMs: 10_000,
          logger,
          random: noJitter,
          permanent: (error) => error instanceof ConnectError,
        },
      ),
      (error: unknown) => error === refusal,
    );
    assert.equal(calls, 1);
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    const waiting = waitForDependency(() => Promise.reject(new ConnectError('down')), {
      dependency: 'Kafka',
      timeoutMs: 60_000,
      logger,
      random: noJitter,
      signal: controller.signal,
    });
    controller.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
  });
});
