/**
 * Topic configs on the real broker: topics created from kafka/topic-configs.ts's specs carry their
 * class's configs (dead letters kept forever, data topics' tombstone retention, a configured
 * min.insync.replicas), and a topic that already exists with other configs is reported and left
 * as it is. Every topic is the test's own and deleted afterwards.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { kafkaSchema } from '../../common/config/schema.js';
import { createLogger } from '../../common/logger.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { openAdmin, type KafkaAdmin } from '../../kafka/admin.js';
import { createKafka } from '../../kafka/client.js';
import { topicSpec } from '../../kafka/topic-configs.js';
import { ensureTopics } from '../../kafka/topics.js';
import { uniqueName } from '../../testkit/wait-for.js';

const prefix = uniqueName('topicconfigs');
const kafkaConfig = kafkaSchema.parse({
  brokers: [stackEndpoints().kafkaBroker],
  clientId: 'topic-configs-it',
  topicPrefix: prefix,
  partitions: 1,
  topicConfigs: { data: { 'min.insync.replicas': '1' }, offsets: { 'segment.ms': '3600000' } },
});
const quiet = createLogger({
  level: 'silent',
  format: 'json',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

describe('topic configs (real Kafka)', () => {
  let admin: KafkaAdmin;
  const topics = { data: `${prefix}.bookings`, offsets: `${prefix}.offsets`, deadLetter: `${prefix}.dlq` };

  before(async () => {
    admin = await openAdmin(createKafka(kafkaConfig, quiet));
  });

  after(async () => {
    await admin.deleteTopics(Object.values(topics), { timeoutMs: 30_000 }).catch(() => undefined);
    await admin.close();
  });

  async function config(topic: string, name: string): Promise<string | undefined> {
    return (await admin.topicConfig([topic], name)).get(topic);
  }

  it('creates each class of topic with its configs, then reports an existing topic that differs and leaves it', async () => {
    // The dead-letter topic exists already, made by hand with the broker's default retention.
    await admin.createTopics([{ topic: topics.deadLetter, partitions: 1, replicationFactor: 1, compacted: false }]);
    const retentionBefore = await config(topics.deadLetter, 'retention.ms');
    assert.notEqual(retentionBefore, '-1');

    const lines: string[] = [];
    const logger = createLogger({
      level: 'warn',
      format: 'json',
      destination: new Writable({ write: (chunk, _e, done) => done(void lines.push(String(chunk))) }),
    });
    const specs = [
      topicSpec(kafkaConfig, topics.data, 'data'),
      topicSpec(kafkaConfig, topics.offsets, 'offsets', 1),
      topicSpec(kafkaConfig, topics.deadLetter, 'deadLetter', 1),
    ];
    const result = await ensureTopics(admin, specs, logger);
    assert.deepEqual(result.created, [topics.data, topics.offsets]);

    assert.equal(await config(topics.data, 'cleanup.policy'), 'compact');
    assert.equal(await config(topics.data, 'delete.retention.ms'), String(7 * 24 * 3600 * 1000));
    assert.equal(await config(topics.data, 'min.insync.replicas'), '1');
    assert.equal(await config(topics.offsets, 'cleanup.policy'), 'compact');
    assert.equal(await config(topics.offsets, 'segment.ms'), '3600000');

    assert.deepEqual(result.differences, [
      { topic: topics.deadLetter, name: 'retention.ms', actual: retentionBefore, wanted: '-1' },
    ]);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /retention\.ms=.*the configuration wants -1; it is not changed/);
    assert.equal(await config(topics.deadLetter, 'retention.ms'), retentionBefore, 'never altered');

    // A topic created with its configs has no differences the next time.
    await admin.deleteTopics([topics.deadLetter], { timeoutMs: 30_000 });
    const again = await ensureTopics(admin, specs, logger);
    assert.deepEqual(again.created, [topics.deadLetter]);
    assert.equal(await config(topics.deadLetter, 'retention.ms'), '-1');
    assert.deepEqual((await ensureTopics(admin, specs, logger)).differences, []);
  });
});
