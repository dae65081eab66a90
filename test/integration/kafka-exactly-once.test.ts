/**
 * The exactly-once building blocks against the real broker: records and offsets in one
 * transaction, offsets reloaded with read_committed, aborted work invisible, a second instance of
 * the same task fencing the first, and read-to-end terminating on transaction markers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { openAdmin, type KafkaAdmin } from '../../kafka/admin.js';
import { createLogger } from '../../common/logger.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { loadOffsetStore } from '../../connector/source/offsets.js';
import { readTopicToEnd } from '../../kafka/topic-reader.js';
import { readerGroupId } from '../../contract/group-id.js';
import { ensureTopics, TopicConfigError } from '../../kafka/topics.js';
import { createTransactionalWriter, ProducerFencedError } from '../../kafka/transactional-writer.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { uniqueName } from '../../testkit/wait-for.js';

const quiet = createLogger({
  level: 'warn',
  format: 'json',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

describe('kafka exactly-once building blocks', () => {
  let kafka: KafkaClient;
  let admin: KafkaAdmin;
  const dataTopic = uniqueName('eos_data');
  const offsetsTopic = uniqueName('eos_offsets');
  const plainTopic = uniqueName('eos_plain');

  before(async () => {
    kafka = createKafka({ brokers: [stackEndpoints().kafkaBroker], clientId: 'eos-test', ssl: false }, quiet);
    admin = await openAdmin(kafka);
    const created = await ensureTopics(admin, [
      { topic: dataTopic, partitions: 2, replicationFactor: 1, compacted: true },
      { topic: offsetsTopic, partitions: 1, replicationFactor: 1, compacted: true },
    ]);
    assert.deepEqual(created.created.sort(), [dataTopic, offsetsTopic].sort());
  });

  after(async () => {
    await admin.deleteTopics([dataTopic, offsetsTopic, plainTopic]).catch(() => undefined);
    await admin.close();
  });

  it('ensureTopics is idempotent and refuses an existing topic that is not compacted', async () => {
    const again = await ensureTopics(admin, [
      { topic: dataTopic, partitions: 2, replicationFactor: 1, compacted: true },
    ]);
    assert.deepEqual(again.created, []);
    await admin.createTopics([{ topic: plainTopic, partitions: 1, replicationFactor: 1, compacted: false }]);
    await assert.rejects(
      ensureTopics(admin, [{ topic: plainTopic, partitions: 1, replicationFactor: 1, compacted: true }]),
      TopicConfigError,
    );
  });

  it('commits records with their offsets; an aborted step leaves neither', async () => {
    const taskId = uniqueName('task');
    const writer = await createTransactionalWriter(kafka, taskId);
    const store = await loadOffsetStore(kafka, offsetsTopic, taskId);
    assert.equal(store.get('bookings'), undefined);

    await writer.commit([
      { topic: dataTopic, key: 'a', value: 'v1' },
      store.record('bookings', { windowEnd: '2026-01-31T23:59:59Z' }),
    ]);
    store.applied([{ partition: 'bookings', offset: { windowEnd: '2026-01-31T23:59:59Z' } }]);

    // A step that fails mid-way: the writer aborts, nothing of it may become visible.
    await assert.rejects(
      writer.commit([
        { topic: dataTopic, key: 'b', value: 'lost' },
        { topic: 'no-such-topic-and-no-autocreate', key: 'x', value: 'y' },
      ]),
    );
    await writer.commit([
      { topic: dataTopic, key: 'c', value: 'v2' },
      store.record('bookings', { windowEnd: '2026-02-28T23:59:59Z' }),
    ]);
    // Where the last committed transaction sits: partition 0 holds a@0, its commit marker, c@2 (b, aborted, went to partition 1).
    const committedAt = writer.committedAt(dataTopic);
    assert.deepEqual([...committedAt], [[0, 2]]);
    await writer.close();

    const reloaded = await loadOffsetStore(kafka, offsetsTopic, taskId);
    assert.deepEqual(reloaded.get('bookings'), { windowEnd: '2026-02-28T23:59:59Z' });
    const otherTask = await loadOffsetStore(kafka, offsetsTopic, `${taskId}-other`);
    assert.equal(otherTask.get('bookings'), undefined);

    const seen: string[] = [];
    const { records } = await readTopicToEnd(kafka, {
      groupId: readerGroupId(),
      topic: dataTopic,
      committedAt,
      onMessage: (m) => void seen.push(`${String(m.key)}=${String(m.value)}`),
    });
    assert.equal(records, 2);
    assert.deepEqual(seen.sort(), ['a=v1', 'c=v2']);
  });

  it('a second instance of the same task fences the first instead of duplicating', async () => {
    const taskId = uniqueName('fenced');
    const first = await createTransactionalWriter(kafka, taskId);
    await first.commit([{ topic: dataTopic, key: 'f', value: 'first' }]);
    const second = await createTransactionalWriter(kafka, taskId);
    await second.commit([{ topic: dataTopic, key: 'f', value: 'second' }]);
    await assert.rejects(first.commit([{ topic: dataTopic, key: 'f', value: 'zombie' }]), ProducerFencedError);
    await Promise.all([first.close().catch(() => undefined), second.close()]);

    const values: string[] = [];
    await readTopicToEnd(kafka, {
      groupId: readerGroupId(),
      topic: dataTopic,
      onMessage: (m) => void (String(m.key) === 'f' && values.push(String(m.value))),
    });
    assert.deepEqual(values, ['first', 'second']);
  });

  it('forgets an offset with a null value', async () => {
    const taskId = uniqueName('forget');
    const writer = await createTransactionalWriter(kafka, taskId);
    const store = await loadOffsetStore(kafka, offsetsTopic, taskId);
    await writer.commit([store.record('customers', { snapshotAt: 'x' })]);
    await writer.commit([store.record('customers', null)]);
    await writer.close();
    assert.equal((await loadOffsetStore(kafka, offsetsTopic, taskId)).get('customers'), undefined);
  });
});
