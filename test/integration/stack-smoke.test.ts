/**
 * The local stack does what the connector relies on: Kafka transactions with read_committed
 * consumers, a schema registry that enforces compatibility and keeps schema ids across its own
 * restart, and ClickHouse (over the HTTP front) with ReplacingMergeTree, dedup tokens, query
 * parameters, binary inserts and real error codes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { COMPATIBILITY, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { ClickHouseError } from '@clickhouse/client';
import type { KafkaAdmin } from '../../kafka/admin.js';
import { readTopicToEnd } from '../../kafka/topic-reader.js';
import { readerGroupId } from '../../contract/group-id.js';
import { createTransactionalWriter, MAX_REQUEST_BYTES } from '../../kafka/transactional-writer.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { createStackContext, restartStack, serviceStatus } from '../../deploy/stack/stack.js';
import {
  deleteSubjects,
  deleteTopics,
  dropTables,
  requireStack,
  stackAdmin,
  stackClickHouse,
  stackRegistry,
} from '../helpers/stack.js';
import { stackKafka } from '../../testkit/stack-kafka.js';
import { uniqueName, waitFor } from '../../testkit/wait-for.js';

describe('local stack smoke', () => {
  const topic = uniqueName('smoke');
  const subject = `${topic}-value`;
  const table = uniqueName('smoke_rmt');
  let admin: KafkaAdmin;

  before(async () => {
    await requireStack();
    admin = await stackAdmin('stack-smoke');
  });

  after(async () => {
    await deleteTopics(admin, [topic]);
    await admin.close();
    await deleteSubjects([subject]);
    const clickhouse = stackClickHouse();
    await dropTables(clickhouse, [table]);
    await clickhouse.close();
  });

  it('kafka: a read_committed consumer sees exactly the committed records, never the aborted one', async () => {
    await admin.createTopics([{ topic, partitions: 1, replicationFactor: 1, compacted: false }]);
    const kafka = stackKafka('stack-smoke');
    const writer = await createTransactionalWriter(kafka, uniqueName('smoke-tx'));
    try {
      await writer.commit([{ topic, key: 'one', value: 'one' }]);
      // 'two' fills a request of its own and is written; the next request names a topic that does
      // not exist, so the writer aborts the transaction with 'two' in the partition.
      const two = `two${' '.repeat(MAX_REQUEST_BYTES)}`;
      await assert.rejects(
        writer.commit([
          { topic, key: 'two', value: two },
          { topic: `${topic}-missing`, key: 'x', value: 'x' },
        ]),
      );
      await writer.commit([{ topic, key: 'three', value: 'three' }]);
    } finally {
      await writer.close();
    }
    // one, its commit marker, two, its abort marker, three, its commit marker (markers are written
    // just after the commit returns): the aborted record took its place in the partition.
    await waitFor(async () => (await admin.topicOffsets(topic))[0]?.high === 6, {
      what: 'six offsets in the partition, the last one stable',
      timeoutMs: 30_000,
    });

    const seen: string[] = [];
    await readTopicToEnd(kafka, {
      groupId: readerGroupId(),
      topic,
      onMessage: (message) => void seen.push(message.value?.toString().trim() ?? ''),
    });
    assert.deepEqual(seen, ['one', 'three']);
  });

  it('registry: BACKWARD compatibility is enforced and schema ids survive a registry restart', async () => {
    const registry = stackRegistry();
    const v1 = {
      type: 'record',
      name: 'Smoke',
      namespace: 'test.bookeo',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'count', type: 'int' },
      ],
    };
    const v2 = { ...v1, fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }] };
    const v3 = {
      ...v1,
      fields: [
        { name: 'id', type: 'long' },
        { name: 'count', type: 'int' },
      ],
    };
    const options = { subject, compatibility: COMPATIBILITY.BACKWARD };

    const { id: id1 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, options);
    const encoded = await registry.encode(id1, { id: 'a-1', count: 3 });
    assert.deepEqual({ ...(await registry.decode(encoded)) }, { id: 'a-1', count: 3 });
    const { id: id2 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, options);
    assert.notEqual(id2, id1);
    await assert.rejects(
      registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v3) }, options),
      /compatib|RuleViolation/i,
    );

    const before = await subjectVersionIds(subject);
    assert.deepEqual(before, [
      { version: 1, id: id1 },
      { version: 2, id: id2 },
    ]);

    const kafkaPid = (await serviceStatus('kafka')).pid;
    const restarted = await restartStack(['registry'], createStackContext());
    assert.deepEqual(restarted.started, ['registry'], 'only the registry was restarted');
    assert.equal((await serviceStatus('kafka')).pid, kafkaPid, 'Kafka, which it needs, kept running');

    assert.deepEqual(await subjectVersionIds(subject), before);
    // A fresh client (no cache) decodes what was encoded before the restart.
    assert.deepEqual({ ...(await stackRegistry().decode(encoded)) }, { id: 'a-1', count: 3 });
  });

  it('clickhouse over HTTP: ReplacingMergeTree + FINAL, dedup tokens, query parameters, RowBinary, error codes', async () => {
    const client = stackClickHouse();
    try {
      await client.command({
        query: `CREATE TABLE ${table} (id UInt32, name String, version UInt64, is_deleted UInt8)
                ENGINE = ReplacingMergeTree(version, is_deleted) ORDER BY id
                SETTINGS non_replicated_deduplication_window = 100`,
      });
      const rows = [
        { id: 1, name: 'first', version: 1, is_deleted: 0 },
        { id: 1, name: "first, o'updated\t", version: 2, is_deleted: 0 },
        { id: 2, name: 'second', version: 1, is_deleted: 0 },
        { id: 3, name: 'gone', version: 1, is_deleted: 1 },
      ];
      const insert = (token: string) =>
        client.insert({
          table,
          values: rows,
          format: 'JSONEachRow',
          clickhouse_settings: { insert_deduplication_token: token },
        });
      const count = async (sql: string) =>
        Number((await (await client.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n);

      // optimize_on_insert collapses id 1's two versions inside the block: 3 rows stored per insert.
      await insert('batch-1');
      await insert('batch-1');
      assert.equal(
        await count(`SELECT count() AS n FROM ${table}`),
        3,
        'the repeated insert with the same token was deduplicated',
      );
      assert.equal(
        await count(`SELECT count() AS n FROM ${table} FINAL`),
        2,
        'FINAL keeps the newest version and drops the deleted key',
      );
      await insert('batch-2');
      assert.equal(await count(`SELECT count() AS n FROM ${table}`), 6, 'a different token is a different insert');
      assert.equal(await count(`SELECT count() AS n FROM ${table} FINAL`), 2);

      const bound = await client.query({
        query: `SELECT id, name FROM ${table} FINAL WHERE id IN {ids:Array(UInt32)} AND name = {name:String}`,
        query_params: { ids: [1, 2], name: "first, o'updated\t" },
        format: 'JSONEachRow',
      });
      assert.deepEqual(await bound.json(), [{ id: 1, name: "first, o'updated\t" }]);

      // RowBinary must reach the engine byte for byte (trailing newline and NUL bytes included).
      const name = Buffer.from('bin\n');
      const rowBinary = Buffer.concat([
        Buffer.from([9, 0, 0, 0, name.length]),
        name,
        Buffer.from([10, 0, 0, 0, 0, 0, 0, 0, 0]),
      ]);
      const url = `${stackEndpoints().clickhouseUrl}/?query=${encodeURIComponent(`INSERT INTO ${table} FORMAT RowBinary`)}`;
      const posted = await fetch(url, { method: 'POST', body: rowBinary });
      assert.equal(posted.status, 200, await posted.text());
      const binaryRow = await client.query({
        query: `SELECT hex(name) AS h, version FROM ${table} WHERE id = 9`,
        format: 'JSONEachRow',
      });
      assert.deepEqual(await binaryRow.json(), [{ h: '62696E0A', version: 10 }]);

      await assert.rejects(client.query({ query: `SELECT no_such_column FROM ${table}` }), (error: ClickHouseError) => {
        assert.equal(error.code, '47');
        assert.equal(error.type, 'UNKNOWN_IDENTIFIER');
        return true;
      });
      const raw = await fetch(`${stackEndpoints().clickhouseUrl}/?query=${encodeURIComponent('SELEC 1')}`);
      assert.equal(raw.status, 400);
      assert.equal(raw.headers.get('x-clickhouse-exception-code'), '62');
      assert.match(await raw.text(), /^Code: 62\. DB::Exception: .*SYNTAX_ERROR/s);
    } finally {
      await client.close();
    }
  });
});

/** Version → schema id of every version of a subject, straight from the ccompat API. */
async function subjectVersionIds(subject: string): Promise<Array<{ version: number; id: number }>> {
  const base = `${stackEndpoints().registryUrl}/subjects/${encodeURIComponent(subject)}/versions`;
  const versions = (await getJson(base)) as number[];
  const result: Array<{ version: number; id: number }> = [];
  for (const version of versions)
    result.push({ version, id: ((await getJson(`${base}/${version}`)) as { id: number }).id });
  return result;
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}
