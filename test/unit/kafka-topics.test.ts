/**
 * Topic creation over the admin interface (kafka/topics.ts): missing topics are created with
 * their spec, existing ones are left alone, and an existing topic that should be compacted but is
 * not is refused, since a replay of it would not rebuild the latest state.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaAdmin, TopicSpec } from '../../kafka/admin.js';
import { ensureTopics, TopicConfigError } from '../../kafka/topics.js';

/** The topic operations of KafkaAdmin over an in-memory broker: topic → cleanup.policy. */
function fakeAdmin(topics: Map<string, string>): KafkaAdmin & { readonly created: TopicSpec[] } {
  const created: TopicSpec[] = [];
  const admin: Pick<KafkaAdmin, 'listTopics' | 'createTopics' | 'topicConfig'> & { created: TopicSpec[] } = {
    created,
    listTopics: async () => [...topics.keys()],
    createTopics: async (specs) => {
      for (const spec of specs) {
        created.push(spec);
        topics.set(spec.topic, spec.compacted ? 'compact' : 'delete');
      }
    },
    topicConfig: async (names, name) =>
      new Map(names.map((topic) => [topic, name === 'cleanup.policy' ? topics.get(topic) : undefined])),
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
});
