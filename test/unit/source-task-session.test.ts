/**
 * The task's Kafka session (task-session.ts) with fake producers: after a failed commit the next
 * poll gets a new producer and offsets and state read back from Kafka, a committer handed out
 * before never reaches the old producer again, a renewal that fails is tried again, and a fenced
 * producer is not renewed (the task stops instead).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRetriable } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import type { OffsetStore, SourceOffset } from '../../connector/source/offsets.js';
import type { OutgoingRecord } from '../../kafka/records.js';
import { KafkaWriteError, ProducerFencedError, type TransactionalWriter } from '../../kafka/transactional-writer.js';
import { SessionRenewedError, openTaskSession } from '../../connector/source/task-session.js';

interface FakeProducer extends TransactionalWriter {
  readonly committed: OutgoingRecord[][];
  failNext?: Error;
  closed: boolean;
}

function fakeProducer(): FakeProducer {
  const producer: FakeProducer = {
    committed: [],
    closed: false,
    async commit(records) {
      const failure = producer.failNext;
      producer.failNext = undefined;
      if (failure !== undefined) throw failure;
      producer.committed.push([...records]);
      return { latencyMs: 1 };
    },
    committedAt: () => new Map(),
    async close() {
      producer.closed = true;
    },
  };
  return producer;
}

/** Offsets as "Kafka" holds them: what the fake producers committed, read back at each open. */
function offsetsFrom(kafka: Map<string, SourceOffset>): OffsetStore {
  const offsets = new Map(kafka);
  return {
    get: (partition) => offsets.get(partition),
    record: (partition, offset) => ({ topic: 'offsets', key: partition, value: JSON.stringify(offset) }),
    applied(records) {
      for (const { partition, offset } of records) if (offset !== null) offsets.set(partition, offset);
    },
    entries: () => offsets,
  };
}

function harness() {
  const producers: FakeProducer[] = [];
  const kafka = new Map<string, SourceOffset>([['bookings', { cursor: 100 }]]);
  let reloads = 0;
  let openFailure: Error | undefined;
  const open = async () => {
    if (openFailure !== undefined) throw openFailure;
    const producer = fakeProducer();
    producers.push(producer);
    return { writer: producer, offsets: offsetsFrom(kafka) };
  };
  return {
    producers,
    kafka,
    reloads: () => reloads,
    failOpen: (error: Error | undefined) => void (openFailure = error),
    open: () =>
      openTaskSession({
        open,
        reloadState: async () => void reloads++,
        logger: createLogger({ level: 'silent', format: 'json' }),
      }),
  };
}

const step = (cursor: number) => ({
  records: [{ topic: 'bookeo.bookings', key: 'k', value: 'v' }],
  offsets: [{ partition: 'bookings', offset: { cursor } }],
});

describe('task Kafka session', () => {
  it('renews after a failed commit: new producer, offsets and state read back, old committer refused', async () => {
    const world = harness();
    const session = await world.open();
    assert.equal(world.reloads(), 1, 'the published state is read once the new producer has fenced older instances');
    await session.committer.commit(step(200));
    assert.equal(session.offsets.get('bookings')?.cursor, 200);
    await session.ready();
    assert.equal(world.producers.length, 1, 'no renewal while commits succeed');

    const first = world.producers[0] as FakeProducer;
    first.failNext = new KafkaWriteError('Kafka transaction failed: Connection error', { retriable: true });
    const before = session.committer;
    await assert.rejects(before.commit(step(300)), KafkaWriteError);
    await session.ready();
    assert.equal(world.producers.length, 2, 'a new producer');
    assert.ok(first.closed, 'the old producer is closed');
    assert.equal(world.reloads(), 2, 'the published state is read back');
    assert.equal(
      session.offsets.get('bookings')?.cursor,
      100,
      'offsets as Kafka holds them (the failed commit is not assumed)',
    );

    const refused = await before.commit(step(400)).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(
      refused instanceof SessionRenewedError && isRetriable(refused),
      `a committer of the old session is refused, got ${String(refused)}`,
    );
    assert.equal(first.committed.length, 1, 'nothing more reached the old producer');
    await session.committer.commit(step(500));
    assert.equal((world.producers[1] as FakeProducer).committed.length, 1);
    assert.equal(session.offsets.get('bookings')?.cursor, 500);
  });

  it('tries a failed renewal again at the next ready(), refusing commits meanwhile', async () => {
    const world = harness();
    const session = await world.open();
    (world.producers[0] as FakeProducer).failNext = new KafkaWriteError('broker gone');
    await assert.rejects(session.committer.commit(step(200)));
    world.failOpen(new Error('Kafka still away'));
    await assert.rejects(session.ready(), /Kafka still away/);
    await assert.rejects(session.committer.commit(step(300)), SessionRenewedError);
    world.failOpen(undefined);
    await session.ready();
    await session.committer.commit(step(300));
    assert.equal(world.producers.length, 2);
    assert.equal(world.reloads(), 2);
  });

  it('one renewal for every poll asking at once', async () => {
    const world = harness();
    const session = await world.open();
    (world.producers[0] as FakeProducer).failNext = new KafkaWriteError('broker gone');
    await assert.rejects(session.committer.commit(step(200)));
    await Promise.all([session.ready(), session.ready(), session.ready()]);
    assert.equal(world.producers.length, 2);
    assert.equal(world.reloads(), 2);
  });

  it('does not renew a fenced producer: another instance owns the task now', async () => {
    const world = harness();
    const session = await world.open();
    (world.producers[0] as FakeProducer).failNext = new ProducerFencedError('acme', new Error('PRODUCER_FENCED'));
    await assert.rejects(session.committer.commit(step(200)), ProducerFencedError);
    await session.ready();
    assert.equal(world.producers.length, 1);
  });
});
