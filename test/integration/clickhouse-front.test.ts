/**
 * The stack's ClickHouse HTTP front speaks the interface as other clients use it: the
 * X-ClickHouse-* headers with ClickHouse's precedence, INSERTs whose statement leads the body with
 * binary rows after it (byte-exact), HTTP compression, and compress=1 refused by name. Runs
 * against a second front of its own (test/helpers/clickhouse-front.ts), never the stack's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startOwnClickHouseFront, type OwnClickHouseFront } from '../helpers/clickhouse-front.js';

let front: OwnClickHouseFront;

async function call(
  search: Record<string, string>,
  body?: Buffer | string | ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const url = `${front.url}/?${new URLSearchParams(search).toString()}`;
  const init: RequestInit & { duplex?: 'half' } =
    body === undefined ? { headers } : { method: 'POST', body, headers, duplex: 'half' };
  return fetch(url, init);
}

async function ok(search: Record<string, string>, body?: Buffer | string, headers?: Record<string, string>) {
  const response = await call(search, body, headers);
  const bytes = Buffer.from(await response.arrayBuffer());
  assert.equal(response.status, 200, bytes.toString('utf8'));
  return { response, bytes };
}

const TABLE_COLUMNS = 'id UInt32, s String, f Float64, n Nullable(String), a Array(String)';
/**
 * Rows whose RowBinary starts with a line break (id 10) and ends with NUL and whitespace, with
 * random bytes (invalid UTF-8 included) in between: what a UTF-8 decode or a trim would change.
 */
const SOURCE_ROWS = `SELECT toUInt32(number + 10) AS id, randomString(number % 40) AS s, number / 7 AS f,
  if(number % 3 = 0, NULL, randomString(5)) AS n, [randomString(3), '\\r\\n'] AS a,
  number FROM numbers(2000) ORDER BY id`;
const LAST_ROW = `SELECT toUInt32(5000) AS id, 'x' AS s, 0.5 AS f, NULL AS n, ['\\t ', '\\0 \\n\\0'] AS a`;

async function sourceBytes(format: string): Promise<Buffer> {
  const sql = `SELECT id, s, f, n, a FROM (${SOURCE_ROWS} UNION ALL SELECT *, 0 FROM (${LAST_ROW})) ORDER BY id FORMAT ${format}`;
  return (await ok({ query: sql })).bytes;
}

async function tableBytes(table: string, format: string): Promise<Buffer> {
  return (await ok({ query: `SELECT id, s, f, n, a FROM ${table} ORDER BY id FORMAT ${format}` })).bytes;
}

async function freshTable(name: string): Promise<string> {
  await ok({}, `CREATE TABLE ${name} (${TABLE_COLUMNS}) ENGINE = MergeTree ORDER BY id`);
  return name;
}

function chunked(bytes: Buffer, size: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + size));
      offset += size;
    },
  });
}

describe('ClickHouse HTTP front: the interface as other clients speak it', () => {
  before(async () => {
    front = await startOwnClickHouseFront();
    await ok({}, 'CREATE DATABASE front_db');
  });
  after(async () => {
    await front?.stop();
  });

  it('honours X-ClickHouse-Format and X-ClickHouse-Database, over the URL parameters as ClickHouse does', async () => {
    const headers = { 'X-ClickHouse-Format': 'JSONEachRow', 'X-ClickHouse-Database': 'front_db' };
    const alone = await ok({ query: 'SELECT currentDatabase() AS db, 1 AS n' }, undefined, headers);
    assert.equal(alone.bytes.toString('utf8'), '{"db":"front_db","n":1}\n');
    assert.equal(alone.response.headers.get('x-clickhouse-format'), 'JSONEachRow');
    const both = await ok(
      { query: 'SELECT currentDatabase() AS db, 1 AS n', database: 'default', default_format: 'TSV' },
      undefined,
      headers,
    );
    assert.equal(both.bytes.toString('utf8'), '{"db":"front_db","n":1}\n');
    const urlOnly = await ok({ query: 'SELECT currentDatabase()', database: 'front_db' });
    assert.equal(urlOnly.bytes.toString('utf8'), 'front_db\n');
    const after = await ok({ query: 'SELECT currentDatabase()' });
    assert.equal(after.bytes.toString('utf8'), 'default\n', 'the header database lasts one request');
  });

  it('answers with X-ClickHouse-Query-Id unless query_id is in the URL, and accepts X-ClickHouse-User/Key', async () => {
    const headers = { 'X-ClickHouse-Query-Id': 'from-header', 'X-ClickHouse-User': 'default', 'X-ClickHouse-Key': 'k' };
    const byHeader = await ok({ query: 'SELECT 1' }, undefined, headers);
    assert.equal(byHeader.response.headers.get('x-clickhouse-query-id'), 'from-header');
    const byUrl = await ok({ query: 'SELECT 1', query_id: 'from-url' }, undefined, headers);
    assert.equal(byUrl.response.headers.get('x-clickhouse-query-id'), 'from-url');
  });

  it('inserts RowBinary and Native rows that follow the statement in the body byte for byte', async () => {
    const rowBinary = await sourceBytes('RowBinary');
    assert.ok(rowBinary.length > 10_000);
    const table = await freshTable('front_db.body_rowbinary');
    const inserted = await ok({}, Buffer.concat([Buffer.from(`INSERT INTO ${table} FORMAT RowBinary\n`), rowBinary]));
    assert.equal(JSON.parse(inserted.response.headers.get('x-clickhouse-summary') ?? '{}').written_rows, '2001');
    assert.deepEqual(await tableBytes(table, 'RowBinary'), rowBinary);
    // Native blocks are cut as the engine likes, so the same bytes loaded through query= are the reference.
    const native = await sourceBytes('Native');
    const viaBody = await freshTable('front_db.body_native');
    await ok({}, Buffer.concat([Buffer.from(`INSERT INTO ${viaBody} FORMAT Native\n`), native]));
    const viaQuery = await freshTable('front_db.query_native');
    await ok({ query: `INSERT INTO ${viaQuery} FORMAT Native` }, native);
    const expected = await tableBytes(viaQuery, 'RowBinary');
    assert.ok(expected.length > 10_000);
    assert.deepEqual(await tableBytes(viaBody, 'RowBinary'), expected);
  });

  it('inserts TSV and JSONEachRow text rows after a body statement unchanged, columns and SETTINGS included', async () => {
    const table = await freshTable('front_db.body_text');
    const tsv = 'id\ts\n1\ttab\\there\\\\ é\n2\t\\0 nul and trailing space \n';
    await ok(
      {},
      `INSERT INTO ${table} (id, s) SETTINGS input_format_with_names_use_header = 1 FORMAT TSVWithNames\n${tsv}`,
    );
    const json = '{"id":3,"s":"\\u0000 ☃\\n","a":["x"]}\n{"id":4,"s":"","n":"ok"}';
    await ok({}, `INSERT INTO ${table} FORMAT JSONEachRow ${json}`);
    const { bytes } = await ok({ query: `SELECT id, hex(s), n, a FROM ${table} ORDER BY id FORMAT JSONEachRow` });
    const hex = (text: string): string => Buffer.from(text, 'utf8').toString('hex').toUpperCase();
    assert.deepEqual(
      bytes
        .toString('utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
      [
        { id: 1, 'hex(s)': hex('tab\there\\ é'), n: null, a: [] },
        { id: 2, 'hex(s)': hex('\0 nul and trailing space '), n: null, a: [] },
        { id: 3, 'hex(s)': hex('\0 ☃\n'), n: null, a: ['x'] },
        { id: 4, 'hex(s)': '', n: 'ok', a: [] },
      ],
    );
  });

  it('splits the statement from the rows when it starts in query=, arrives gzipped or in small chunks', async () => {
    const rows = await sourceBytes('RowBinary');
    const split = await freshTable('front_db.body_split');
    await ok({ query: `INSERT INTO ${split}` }, Buffer.concat([Buffer.from('FORMAT RowBinary\n'), rows]));
    assert.deepEqual(await tableBytes(split, 'RowBinary'), rows, 'statement begun in query=');
    const gzipped = await freshTable('front_db.body_gzip');
    const body = gzipSync(Buffer.concat([Buffer.from(`INSERT INTO ${gzipped} FORMAT RowBinary\n`), rows]));
    await ok({}, body, { 'Content-Encoding': 'gzip' });
    assert.deepEqual(await tableBytes(gzipped, 'RowBinary'), rows, 'gzip body');
    const streamed = await freshTable('front_db.body_stream');
    const response = await call(
      {},
      chunked(Buffer.concat([Buffer.from(`INSERT INTO ${streamed} FORMAT RowBinary\n`), rows]), 7),
    );
    assert.equal(response.status, 200, await response.text());
    assert.deepEqual(await tableBytes(streamed, 'RowBinary'), rows, 'chunked body');
  });

  it('keeps the query= path byte-exact, text statements in the body, and an INSERT with no rows', async () => {
    const rows = await sourceBytes('RowBinary');
    const table = await freshTable('front_db.query_param');
    await ok({ query: `INSERT INTO ${table} FORMAT RowBinary` }, rows);
    assert.deepEqual(await tableBytes(table, 'RowBinary'), rows);
    await ok({}, `INSERT INTO ${table} SELECT id + 100000, s, f, n, a FROM ${table} WHERE id = 10`);
    await ok({}, `INSERT INTO ${table} FORMAT RowBinary\n`);
    assert.equal((await ok({}, `SELECT count() FROM ${table}`)).bytes.toString('utf8'), '2002\n');
  });

  it('refuses compress=1 and decompress=1 with a 400 naming them, and an unknown Content-Encoding', async () => {
    for (const flag of ['compress', 'decompress']) {
      const response = await call({ query: 'SELECT 1', [flag]: '1' }, 'SELECT 1');
      const text = await response.text();
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('x-clickhouse-exception-code'), '48');
      assert.match(
        text,
        new RegExp(`^Code: 48\\. DB::Exception: ${flag}=1 .*not supported by the local ClickHouse front`),
      );
    }
    const lz4 = await call({}, 'SELECT 1', { 'Content-Encoding': 'lz4' });
    assert.equal(lz4.status, 400);
    assert.match(await lz4.text(), /Content-Encoding "lz4" is not supported by the local ClickHouse front/);
  });

  it('gzips an answer when asked with enable_http_compression=1 and Accept-Encoding: gzip', async () => {
    const search = { query: 'SELECT number FROM numbers(3)', enable_http_compression: '1' };
    const gzipped = await call(search, undefined, { 'Accept-Encoding': 'gzip' });
    assert.equal(gzipped.headers.get('content-encoding'), 'gzip');
    assert.equal(await gzipped.text(), '0\n1\n2\n');
    const plain = await call({ query: 'SELECT 1' }, undefined, { 'Accept-Encoding': 'gzip' });
    assert.equal(plain.headers.get('content-encoding'), null, 'not without enable_http_compression, as ClickHouse');
  });
});
