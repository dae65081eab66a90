import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { namespacedNames } from '../../contract/namespace.js';
import { RESOURCE_NAMES, RESOURCES, isResourceName, topicSuffixOf } from '../../contract/resources.js';
import { isUnderPrefix, resourceTopic, resourceTopics, tableOfTopic, topicName } from '../../contract/topics.js';

describe('contract: resources, topics and tables', () => {
  it('lists the published resources once each, with their own topic suffixes', () => {
    assert.deepEqual(RESOURCE_NAMES, [
      'bookings',
      'customers',
      'customers_people',
      'settings_languages',
      'settings_products',
      'resources',
      'payments',
      'webhooks',
    ]);
    assert.equal(new Set(RESOURCES.map((resource) => resource.topicSuffix)).size, RESOURCES.length);
    assert.ok(
      RESOURCE_NAMES.every((name) => !name.includes('/')),
      'the idempotency key needs names without a slash',
    );
    assert.equal(isResourceName('customers_people'), true);
    assert.equal(isResourceName('holds'), false);
  });

  it('names a resource topic <prefix>.<suffix>, and takes an unknown name as the suffix', () => {
    assert.equal(topicName('bookeo', 'offsets'), 'bookeo.offsets');
    assert.equal(resourceTopic('prod.eu', 'customers_people'), `prod.eu.${topicSuffixOf('customers_people')}`);
    assert.equal(resourceTopic('bookeo', 'things'), 'bookeo.things');
    assert.deepEqual(
      resourceTopics('p'),
      RESOURCES.map((resource) => `p.${resource.topicSuffix}`),
    );
  });

  it('names the table of a topic after its suffix, the same for every resource and every caller', () => {
    for (const name of RESOURCE_NAMES)
      assert.equal(tableOfTopic(resourceTopic('prod.eu', name), 'prod.eu'), topicSuffixOf(name));
    assert.equal(tableOfTopic('bookeo.things', 'bookeo'), 'things');
  });

  it('keeps the whole name of a topic outside the prefix, a longer prefix included', () => {
    assert.equal(tableOfTopic('other.bookings', 'bookeo'), 'other.bookings');
    assert.equal(tableOfTopic('bookeo2.bookings', 'bookeo'), 'bookeo2.bookings');
    assert.equal(isUnderPrefix('bookeo2.bookings', 'bookeo'), false);
    assert.equal(isUnderPrefix('bookeo.bookings', 'bookeo'), true);
  });

  it('keeps every topic and group of a namespaced run under its prefix (the demo keeps its names)', () => {
    const demo = namespacedNames('demo');
    assert.deepEqual(
      [
        demo.offsetsTopic,
        demo.deadLetterTopic,
        demo.sinkDeadLetterTopic('clickhouse'),
        demo.sinkGroupId('clickhouse'),
        demo.groupId('floor-read'),
      ],
      ['demo.offsets', 'demo.dlq', 'demo.dlq.sink-clickhouse', 'demo-sink-clickhouse', 'demo-floor-read'],
    );
    const run = namespacedNames('bench1a');
    for (const topic of [run.offsetsTopic, run.deadLetterTopic, run.sinkDeadLetterTopic('duckdb')])
      assert.ok(isUnderPrefix(topic, 'bench1a'), topic);
    assert.notEqual(run.sinkGroupId('duckdb'), run.sinkGroupId('postgres'));
  });
});
