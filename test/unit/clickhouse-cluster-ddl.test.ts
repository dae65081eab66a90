/**
 * The statements of each ClickHouse layout, as text: one server (exactly today's statements, so
 * ClickHouse Cloud sees no change), a replicated cluster, and a cluster with Distributed tables. A
 * cluster cannot run here, so these texts are what the cluster mode is tested by (the integration
 * test also has the real engine parse each of them).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig } from '../../common/config/load.js';
import { ConfigError } from '../../common/errors.js';
import { clickhouseSchema, type ClickHouseConfig } from '../../sinks/clickhouse/config.js';
import { addColumnsSql, createTableSql, dropTableSql, exchangeTablesSql } from '../../sinks/clickhouse/ddl.js';
import { clickhouseLayout } from '../../sinks/clickhouse/layout.js';
import { describeTable } from '../../sinks/runner/avro-table.js';
import { bookingKeySchema } from '../../testkit/booking-avro.js';

const spec = describeTable('bookings', bookingKeySchema, {
  type: 'record',
  name: 'V',
  fields: [{ name: 'total', type: ['null', 'string'], default: null }],
});
const [, , total] = spec.columns;
const config = (section: Record<string, unknown>): ClickHouseConfig =>
  clickhouseSchema.parse({ database: 'db', ...section });

/** The column list and ORDER BY every CREATE TABLE of `spec` shares. */
const COLUMNS = [
  '(',
  '    `account` String,',
  '    `id` String,',
  '    `total` Nullable(String),',
  '    `_topic` LowCardinality(String),',
  '    `_partition` UInt32,',
  '    `_offset` UInt64,',
  '    `_schema_id` UInt32,',
  "    `_ingested_at` DateTime64(3, 'UTC'),",
  '    `_version` UInt64,',
  '    `_is_deleted` UInt8',
  ')',
].join('\n');

describe('ClickHouse layouts: the statements of one server and of a cluster', () => {
  it('one server (no cluster key): exactly the statements of before, no extra insert settings', () => {
    const layout = clickhouseLayout(config({}));
    assert.deepEqual(layout.tablesOf('bookings'), ['bookings']);
    assert.equal(layout.createDatabase(), 'CREATE DATABASE IF NOT EXISTS `db`');
    assert.deepEqual(layout.createTables(spec), [createTableSql('db', spec)]);
    assert.match(createTableSql('db', spec), /^ENGINE = ReplacingMergeTree\(`_version`, `_is_deleted`\)$/m);
    assert.doesNotMatch(createTableSql('db', spec), /CLUSTER|Replicated/);
    assert.deepEqual(layout.addColumns('bookings', [total!]), [addColumnsSql('db', 'bookings', [total!])]);
    assert.deepEqual(layout.dropTables('bookings__rebuild_1'), [
      'DROP TABLE IF EXISTS `db`.`bookings__rebuild_1` SYNC',
    ]);
    assert.deepEqual(layout.swap(spec, 'bookings__rebuild_1'), [
      createTableSql('db', spec),
      exchangeTablesSql('db', 'bookings', 'bookings__rebuild_1'),
      dropTableSql('db', 'bookings__rebuild_1'),
    ]);
    assert.deepEqual(layout.insertSettings, {});
  });

  it('cluster: every statement ON CLUSTER, ReplicatedReplacingMergeTree with the default Keeper path and replica', () => {
    const layout = clickhouseLayout(config({ cluster: 'analytics' }));
    assert.deepEqual(layout.tablesOf('bookings'), ['bookings']);
    assert.equal(layout.createDatabase(), "CREATE DATABASE IF NOT EXISTS `db` ON CLUSTER 'analytics'");
    assert.deepEqual(layout.createTables(spec), [
      [
        "CREATE TABLE IF NOT EXISTS `db`.`bookings` ON CLUSTER 'analytics'",
        COLUMNS,
        "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', `_version`, `_is_deleted`)",
        'ORDER BY (`account`, `id`)',
        'SETTINGS min_bytes_for_wide_part = 536870912',
      ].join('\n'),
    ]);
    assert.deepEqual(layout.addColumns('bookings', [total!]), [
      "ALTER TABLE `db`.`bookings` ON CLUSTER 'analytics'\n    ADD COLUMN IF NOT EXISTS `total` Nullable(String)",
    ]);
    const swap = layout.swap(spec, 'bookings__rebuild_1');
    assert.equal(swap.length, 3);
    assert.match(swap[0]!, /^CREATE TABLE IF NOT EXISTS `db`\.`bookings` ON CLUSTER 'analytics'\n/);
    assert.deepEqual(swap.slice(1), [
      "EXCHANGE TABLES `db`.`bookings` AND `db`.`bookings__rebuild_1` ON CLUSTER 'analytics'",
      "DROP TABLE IF EXISTS `db`.`bookings__rebuild_1` ON CLUSTER 'analytics' SYNC",
    ]);
    assert.deepEqual(layout.insertSettings, {});
  });

  it('cluster: a configured Keeper path, replica, macro cluster name and insert quorum, quoted as literals', () => {
    const layout = clickhouseLayout(
      config({ cluster: '{cluster}', zookeeperPath: "/ch/{uuid}/o'k", replicaName: '{replica}-x', insertQuorum: 2 }),
    );
    const [create] = layout.createTables(spec);
    assert.match(create!, /ON CLUSTER '\{cluster\}'\n/);
    assert.match(
      create!,
      /ReplicatedReplacingMergeTree\('\/ch\/\{uuid\}\/o\\'k', '\{replica\}-x', `_version`, `_is_deleted`\)/,
    );
    assert.deepEqual(layout.insertSettings, { insert_quorum: '2' });
  });

  it('cluster + distributed: <table>_local replicated on every shard, a Distributed <table> over it sharded by the key', () => {
    const layout = clickhouseLayout(config({ cluster: 'analytics', distributed: true }));
    assert.deepEqual(layout.tablesOf('bookings'), ['bookings_local', 'bookings']);
    const [local, front] = layout.createTables(spec);
    assert.match(local!, /^CREATE TABLE IF NOT EXISTS `db`\.`bookings_local` ON CLUSTER 'analytics'\n/);
    assert.match(local!, /ENGINE = ReplicatedReplacingMergeTree\(/);
    assert.equal(
      front,
      [
        "CREATE TABLE IF NOT EXISTS `db`.`bookings` ON CLUSTER 'analytics'",
        COLUMNS,
        "ENGINE = Distributed('analytics', 'db', 'bookings_local', cityHash64(`account`, `id`))",
      ].join('\n'),
    );
    assert.deepEqual(layout.addColumns('bookings', [total!]), [
      "ALTER TABLE `db`.`bookings_local` ON CLUSTER 'analytics'\n    ADD COLUMN IF NOT EXISTS `total` Nullable(String)",
      "ALTER TABLE `db`.`bookings` ON CLUSTER 'analytics'\n    ADD COLUMN IF NOT EXISTS `total` Nullable(String)",
    ]);
    assert.deepEqual(layout.dropTables('bookings__rebuild_1'), [
      "DROP TABLE IF EXISTS `db`.`bookings__rebuild_1` ON CLUSTER 'analytics' SYNC",
      "DROP TABLE IF EXISTS `db`.`bookings__rebuild_1_local` ON CLUSTER 'analytics' SYNC",
    ]);
    assert.deepEqual(layout.insertSettings, { insert_distributed_sync: 1 });
  });

  it('cluster + distributed swap: stored tables exchanged, then a Distributed table with the rebuilt columns, old ones dropped', () => {
    const layout = clickhouseLayout(config({ cluster: 'analytics', distributed: true }));
    const swap = layout.swap(spec, 'bookings__rebuild_1');
    const heads = swap.map((statement) => statement.split('\n')[0]);
    assert.deepEqual(heads, [
      "CREATE TABLE IF NOT EXISTS `db`.`bookings_local` ON CLUSTER 'analytics'",
      "CREATE TABLE IF NOT EXISTS `db`.`bookings` ON CLUSTER 'analytics'",
      "CREATE TABLE IF NOT EXISTS `db`.`bookings__rebuild_1_front` ON CLUSTER 'analytics'",
      "EXCHANGE TABLES `db`.`bookings_local` AND `db`.`bookings__rebuild_1_local` ON CLUSTER 'analytics'",
      "EXCHANGE TABLES `db`.`bookings` AND `db`.`bookings__rebuild_1_front` ON CLUSTER 'analytics'",
      "DROP TABLE IF EXISTS `db`.`bookings__rebuild_1_front` ON CLUSTER 'analytics' SYNC",
      "DROP TABLE IF EXISTS `db`.`bookings__rebuild_1` ON CLUSTER 'analytics' SYNC",
      "DROP TABLE IF EXISTS `db`.`bookings__rebuild_1_local` ON CLUSTER 'analytics' SYNC",
    ]);
    // The new front reads the live stored table, which holds the rebuilt rows after the first exchange.
    assert.match(swap[2]!, /ENGINE = Distributed\('analytics', 'db', 'bookings_local', /);
  });

  it('cluster-only keys need clickhouse.cluster; tls needs https:// and a certificate its key; no problem quotes the password', () => {
    const password = 'pw-never-printed-31';
    const problems = (section: Record<string, unknown>): string[] => {
      try {
        validateConfig({ clickhouse: { password, ...section } });
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        assert.ok(!error.message.includes(password), error.message);
        return error.problems.map((problem) => problem.key);
      }
      return [];
    };
    assert.deepEqual(problems({ distributed: true, zookeeperPath: '/x', replicaName: 'r', insertQuorum: 2 }), [
      'clickhouse.distributed',
      'clickhouse.zookeeperPath',
      'clickhouse.replicaName',
      'clickhouse.insertQuorum',
    ]);
    assert.deepEqual(problems({ cluster: 'a b' }), ['clickhouse.cluster']);
    assert.deepEqual(problems({ url: 'https://ch:8443', tls: { ca: '/ca.pem', cert: '/c.pem' } }), [
      'clickhouse.tls.key',
    ]);
    assert.deepEqual(problems({ url: 'https://ch:8443', tls: { cert: '/c.pem', key: '/k.pem' } }), [
      'clickhouse.tls.ca',
    ]);
    assert.deepEqual(problems({ tls: { ca: '/ca.pem' } }), ['clickhouse.tls'], 'tls over http:// would be ignored');
    assert.deepEqual(problems({ cluster: 'analytics', distributed: true, insertQuorum: 'auto' }), []);
  });
});
