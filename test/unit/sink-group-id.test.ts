/**
 * The sink's consumer group: unique per deployment by default (the topic prefix is part of it),
 * the old default's offsets adopted once for this deployment's topics only, and a group whose
 * running members consume other topics refused before joining.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaAdmin } from '../../kafka/admin.js';
import { adoptGroupOffsets, assertSameSubscription, ForeignTopicsError } from '../../sinks/runner/group-admin.js';
import {
  legacyDefaultGroupId,
  readerGroupId,
  rebuildGroupId,
  siblingSinkGroupId,
  sinkGroupId,
} from '../../contract/group-id.js';

/** Committed offsets per group and topic (partition → offset), as an admin client would see them. */
type Offsets = Map<string, Map<string, Map<number, number>>>;

/** The group operations of KafkaAdmin over in-memory offsets and members (each member: the topics it subscribes to). */
function fakeAdmin(offsets: Offsets, members: Record<string, string[][]> = {}): KafkaAdmin {
  const admin: Pick<KafkaAdmin, 'groupOffsets' | 'setGroupOffsets' | 'describeGroup'> = {
    groupOffsets: async (groupId, topic) =>
      [0, 1].map((partition) => ({
        partition,
        offset: offsets.get(groupId)?.get(topic)?.get(partition) ?? -1,
        metadata: null,
      })),
    setGroupOffsets: async (groupId, topic, partitions) => {
      const group = offsets.get(groupId) ?? new Map<string, Map<number, number>>();
      offsets.set(groupId, group);
      group.set(topic, new Map(partitions.map((p) => [p.partition, p.offset])));
    },
    describeGroup: async (groupId) => {
      const subscriptions = members[groupId] ?? [];
      return {
        groupId,
        state: subscriptions.length === 0 ? 'Empty' : 'Stable',
        members: subscriptions.map((topics) => ({ clientId: 'c', clientHost: 'h', topics })),
      };
    },
  };
  return admin as KafkaAdmin;
}

describe('sink consumer group ids', () => {
  it('defaults to one group per topic prefix and destination; a configured group wins', () => {
    assert.equal(sinkGroupId(undefined, 'bookeo', 'clickhouse'), 'bookeo-connect-sink-bookeo-clickhouse');
    assert.notEqual(
      sinkGroupId(undefined, 'staging', 'clickhouse'),
      sinkGroupId(undefined, 'production', 'clickhouse'),
    );
    assert.equal(sinkGroupId('my-group', 'bookeo', 'clickhouse'), 'my-group');
    assert.equal(legacyDefaultGroupId('clickhouse'), 'bookeo-connect-sink-clickhouse');
  });

  it('gives each of several sinks in one process its own group, and throw-away readers their own', () => {
    assert.equal(siblingSinkGroupId('my-group', 'bookeo', 'duckdb'), 'my-group-duckdb');
    assert.equal(siblingSinkGroupId(undefined, 'bookeo', 'duckdb'), sinkGroupId(undefined, 'bookeo', 'duckdb'));
    assert.equal(rebuildGroupId('my-group', 'bookings', 1_700_000_000_000), 'my-group-rebuild-bookings-1700000000000');
    assert.notEqual(readerGroupId(), readerGroupId());
    assert.match(readerGroupId(), /^bookeo-connect-reader-/);
  });

  it("adopts the old default group's offsets of this deployment's topics only, once", async () => {
    const legacy = legacyDefaultGroupId('clickhouse');
    const next = sinkGroupId(undefined, 'a', 'clickhouse');
    const offsets: Offsets = new Map([
      [
        legacy,
        new Map([
          [
            'a.bookings',
            new Map([
              [0, 10],
              [1, 7],
            ]),
          ],
          ['b.bookings', new Map([[0, 99]])],
        ]),
      ],
    ]);
    const admin = fakeAdmin(offsets);
    assert.deepEqual(await adoptGroupOffsets(admin, legacy, next, ['a.bookings', 'a.customers']), ['a.bookings']);
    assert.deepEqual(
      [...(offsets.get(next)?.entries() ?? [])],
      [
        [
          'a.bookings',
          new Map([
            [0, 10],
            [1, 7],
          ]),
        ],
      ],
      "another deployment's topic is not copied",
    );

    offsets.get(legacy)?.set('a.bookings', new Map([[0, 50]]));
    assert.deepEqual(
      await adoptGroupOffsets(admin, legacy, next, ['a.bookings', 'a.customers']),
      [],
      'the new group has offsets: nothing is copied again',
    );
    assert.equal(offsets.get(next)?.get('a.bookings')?.get(0), 10);
  });

  it('refuses a group whose running members subscribe to topics this sink does not consume', async () => {
    const admin = fakeAdmin(new Map(), { shared: [['a.bookings', 'a.customers']], own: [['b.bookings']] });
    await assert.rejects(
      assertSameSubscription(admin, 'shared', ['b.bookings']),
      (error: unknown) =>
        error instanceof ForeignTopicsError &&
        /consumer group shared has running members subscribed to topics this sink does not consume \(a\.bookings, a\.customers\)/.test(
          (error as Error).message,
        ),
    );
    await assertSameSubscription(admin, 'own', ['b.bookings']);
    await assertSameSubscription(admin, 'empty', ['b.bookings']);
  });
});
