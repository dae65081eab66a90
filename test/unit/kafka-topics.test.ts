/**
 * Topic creation over the admin interface (kafka/topics.ts): missing topics are created with
 * their spec, existing ones are left alone, and an existing topic that should be compacted but is
 * not is refused, since a replay of it would not rebuild the latest state. Other configs an existing
 * topic has otherwise are reported and logged, never altered; topicSpec gives each class its configs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaAdmin, TopicSpec } from '../../kafka/admin.js';
import { Writable } from 'node:stream';
import { createLogger } from '../../common/logger.js';
import { kafkaSchema } from '../../common/config/schema.js';
import { topicSpec } from '../../kafka/topic-configs.js';
import { ensureTopics, TopicConfigError } from '../../kafka/topics.js';

/** The topic operations of KafkaAdmin over an in-memory broker: topic → cleanup.policy; `configs`: topic → other configs. */
function fakeAdmin(
  topics: Map<string, string>,
  configs = new Map<string, Record<string, string>>(),
): KafkaAdmin & { readonly created: TopicSpec[] } {
  const created: TopicSpec[] = [];
  const admin: Pick<KafkaAdmin, 'listTopics' | 'createTopics' | 'topicConfig'> & { created: TopicSpec[] } = {
    created,
    listTopics: async () => [...topics.keys()],
    createTopics: async (specs) => {
      for (const spec of specs) {
        created.push(spec);
        topics.set(spec.topic, spec.compacted ? 'compact' : 'delete');
        configs.set(spec.topic, { ...spec.configs });
      }
    },
    topicConfig: async (names, name) =>
      new Map(
        names.map((topic) => [topic, name === 'cleanup.policy' ? topics.get(topic) : configs.get(topic)?.[name]]),
      ),
  };
  return admin as KafkaAdmin & { readonly created: TopicSpec[] };
}

const spec = (topic: string, compacted: boolean): TopicSpec => ({
  topic,
  partitions: 3,
  replicationFactor: 1,
  compacted,
});

describe('ensureTopics', () => {
  it('creates only the missing topics, with their spec', async () => {
    const admin = fakeAdmin(new Map([['p.bookings', 'compact']]));
    const result = await ensureTopics(admin, [
      spec('p.bookings', true),
      spec('p.customers', true),
      spec('p.dlq', false),
    ]);
    assert.deepEqual(result.created, ['p.customers', 'p.dlq']);
    assert.deepEqual(admin.created, [spec('p.customers', true), spec('p.dlq', false)]);
    assert.deepEqual(
      (await ensureTopics(admin, [spec('p.customers', true)])).created,
      [],
      'a second call creates nothing',
    );
  });

  it('refuses an existing topic that should be compacted and is not, naming it', async () => {
    const admin = fakeAdmin(
      new Map([
        ['p.bookings', 'delete'],
        ['p.customers', 'compact,delete'],
        ['p.dlq', 'delete'],
      ]),
    );
    await assert.rejects(
      ensureTopics(admin, [spec('p.bookings', true), spec('p.customers', true), spec('p.dlq', false)]),
      (error: unknown) =>
        error instanceof TopicConfigError &&
        /topics p\.bookings exist without cleanup\.policy=compact/.test(error.message),
    );
    assert.deepEqual(admin.created, []);
  });

  it('reports and logs the configs an existing topic has otherwise, and changes nothing', async () => {
    const admin = fakeAdmin(
      new Map([
        ['p.bookings', 'compact'],
        ['p.dlq', 'delete'],
      ]),
      new Map<string, Record<string, string>>([
        ['p.bookings', { 'delete.retention.ms': '86400000' }],
        ['p.dlq', { 'retention.ms': '-1' }],
      ]),
    );
    const lines: string[] = [];
    const logger = createLogger({
      level: 'warn',
      format: 'json',
      destination: new Writable({ write: (chunk, _e, done) => done(void lines.push(String(chunk))) }),
    });
    const kafka = kafkaSchema.parse({ topicConfigs: { data: { 'min.insync.replicas': '2' } } });
    const result = await ensureTopics(
      admin,
      [topicSpec(kafka, 'p.bookings', 'data'), topicSpec(kafka, 'p.dlq', 'deadLetter')],
      logger,
    );
    assert.deepEqual(result.differences, [
      { topic: 'p.bookings', name: 'delete.retention.ms', actual: '86400000', wanted: '604800000' },
      { topic: 'p.bookings', name: 'min.insync.replicas', actual: undefined, wanted: '2' },
    ]);
    assert.deepEqual(admin.created, []);
    assert.equal(lines.length, 2);
    assert.match(
      lines[0] ?? '',
      /topic p\.bookings has delete\.retention\.ms=86400000, the configuration wants 604800000; it is not changed/,
    );
  });

  it('gives each class its configs: defaults, merged under kafka.topicConfigs', () => {
    const defaults = kafkaSchema.parse({});
    assert.deepEqual(topicSpec(defaults, 'p.dlq', 'deadLetter', 1), {
      topic: 'p.dlq',
      partitions: 1,
      replicationFactor: 1,
      compacted: false,
      configs: { 'retention.ms': '-1' },
    });
    assert.deepEqual(topicSpec(defaults, 'p.offsets', 'offsets').configs, {});
    const set = kafkaSchema.parse({
      partitions: 6,
      topicConfigs: { data: { 'delete.retention.ms': '172800000', 'min.insync.replicas': '2' } },
    });
    const data = topicSpec(set, 'p.bookings', 'data');
    assert.deepEqual(
      [data.partitions, data.compacted, data.configs],
      [6, true, { 'delete.retention.ms': '172800000', 'min.insync.replicas': '2' }],
    );
    assert.throws(
      () => kafkaSchema.parse({ topicConfigs: { data: { 'cleanup.policy': 'delete' } } }),
      /cleanup\.policy/,
    );
  });
});
