/** The pure request/response rules of the ClickHouse HTTP front (deploy/stack/clickhouse-http-protocol.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  contentType,
  errorResponse,
  HttpProtocolError,
  insertAwaitingBody,
  loggableUrl,
  parseHttpParams,
  quoteString,
  responseFormat,
} from '../../deploy/stack/clickhouse-http-protocol.js';

describe('parseHttpParams', () => {
  it('takes X-ClickHouse-Database and X-ClickHouse-Format over the URL parameters, query_id over X-ClickHouse-Query-Id', () => {
    const headers = {
      'x-clickhouse-database': 'from_header',
      'x-clickhouse-format': 'JSONEachRow',
      'x-clickhouse-query-id': 'header-id',
      'x-clickhouse-user': 'default',
      'x-clickhouse-key': 'secret',
    };
    const both = parseHttpParams(
      new URLSearchParams({ database: 'from_url', default_format: 'TSV', query_id: 'url-id' }),
      headers,
    );
    assert.equal(both.database, 'from_header');
    assert.equal(both.defaultFormat, 'JSONEachRow');
    assert.equal(both.queryId, 'url-id');
    const headersOnly = parseHttpParams(new URLSearchParams(), headers);
    assert.equal(headersOnly.database, 'from_header');
    assert.equal(headersOnly.queryId, 'header-id');
    assert.deepEqual(headersOnly.settings, {}, 'user and key headers are not settings');
    const empty = parseHttpParams(new URLSearchParams({ database: 'from_url' }), { 'x-clickhouse-database': '' });
    assert.equal(empty.database, 'from_url', 'an empty header counts as absent');
  });

  it('separates query, database, format, parameters and settings; HTTP-only switches are not settings', () => {
    const parsed = parseHttpParams(
      new URLSearchParams({
        query: 'SELECT {id:UInt32}',
        database: 'bookeo',
        default_format: 'JSONEachRow',
        query_id: 'q-1',
        session_id: 's-1',
        wait_end_of_query: '1',
        readonly: '1',
        param_id: '42',
        param_name: 'a\\tb',
        insert_deduplication_token: 'tok',
        date_time_input_format: 'best_effort',
      }),
    );
    assert.equal(parsed.query, 'SELECT {id:UInt32}');
    assert.equal(parsed.database, 'bookeo');
    assert.equal(parsed.defaultFormat, 'JSONEachRow');
    assert.equal(parsed.queryId, 'q-1');
    // Parameter values stay in ClickHouse's escaped text form: the engine unescapes them, as a server does.
    assert.deepEqual(parsed.queryParams, { id: '42', name: 'a\\tb' });
    assert.deepEqual(parsed.settings, { insert_deduplication_token: 'tok', date_time_input_format: 'best_effort' });
  });

  it('refuses names that could not be a setting or a parameter (they would end up in SQL)', () => {
    assert.throws(
      () => parseHttpParams(new URLSearchParams({ 'max_threads=1; DROP': '1' })),
      (error: HttpProtocolError) => error.code === 115,
    );
    assert.throws(
      () => parseHttpParams(new URLSearchParams({ 'param_a b': '1' })),
      (error: HttpProtocolError) => error.code === 457,
    );
  });
});

describe('insertAwaitingBody', () => {
  it('reads the rows from a spool file, keeping columns and settings', () => {
    const insert = insertAwaitingBody('INSERT INTO db.t (a, b) SETTINGS async_insert=0 FORMAT RowBinary');
    assert.equal(insert?.format, 'RowBinary');
    assert.equal(
      insert?.sql('/tmp/x/1.body'),
      "INSERT INTO db.t (a, b) FROM INFILE '/tmp/x/1.body' SETTINGS async_insert=0 FORMAT RowBinary",
    );
    assert.equal(
      insertAwaitingBody('insert into t format JSONEachRow\n')?.sql('/f'),
      "insert into t FROM INFILE '/f' FORMAT JSONEachRow",
    );
  });

  it('treats a trailing VALUES as the Values format', () => {
    assert.equal(insertAwaitingBody('INSERT INTO t VALUES')?.sql('/f'), "INSERT INTO t FROM INFILE '/f' FORMAT Values");
  });

  it('leaves statements that carry their own data or are not inserts alone', () => {
    assert.equal(insertAwaitingBody('INSERT INTO t VALUES (1, 2)'), undefined);
    assert.equal(insertAwaitingBody('INSERT INTO t SELECT * FROM u'), undefined);
    assert.equal(insertAwaitingBody('SELECT 1 FORMAT JSON'), undefined);
  });
});

describe('responses', () => {
  it('takes the output format from the statement first, then default_format, then TabSeparated', () => {
    assert.equal(responseFormat('SELECT 1 FORMAT JSONCompactEachRow', 'JSON'), 'JSONCompactEachRow');
    assert.equal(responseFormat('SELECT 1 FORMAT JSON SETTINGS max_threads = 1', undefined), 'JSON');
    assert.equal(responseFormat('SELECT 1', 'JSONEachRow'), 'JSONEachRow');
    assert.equal(responseFormat('SELECT 1', undefined), 'TabSeparated');
    assert.equal(contentType('JSONEachRow'), 'application/x-ndjson; charset=UTF-8');
    assert.equal(contentType('RowBinary'), 'application/octet-stream');
  });

  it('maps engine errors to ClickHouse status codes and keeps the text clients parse', () => {
    const syntax = errorResponse(
      new Error('Code: 62. DB::Exception: Syntax error: failed at position 1. (SYNTAX_ERROR)'),
      '26.7.2.1',
    );
    assert.deepEqual(syntax, {
      status: 400,
      code: 62,
      body: 'Code: 62. DB::Exception: Syntax error: failed at position 1. (SYNTAX_ERROR) (version 26.7.2.1)\n',
    });
    assert.equal(
      errorResponse(new Error('Code: 60. DB::Exception: Table x does not exist. (UNKNOWN_TABLE)'), 'v').status,
      404,
    );
    assert.equal(
      errorResponse(new Error('Code: 241. DB::Exception: Memory limit exceeded. (MEMORY_LIMIT_EXCEEDED)'), 'v').status,
      500,
    );
    const own = errorResponse(new HttpProtocolError(115, 'Unknown setting "x y"'), 'v');
    assert.equal(own.code, 115);
    assert.match(own.body, /^Code: 115\. DB::Exception: Unknown setting/);
  });

  it('quotes strings as SQL literals that round-trip backslashes, quotes and NUL', () => {
    assert.equal(quoteString("a'b\\c\0"), "'a\\'b\\\\c\\0'");
  });
});

describe('loggableUrl', () => {
  it('masks the password parameter wherever it stands and keeps the rest', () => {
    assert.equal(
      loggableUrl('/?user=default&password=s3cret&query=SELECT%201'),
      '/?user=default&password=***&query=SELECT%201',
    );
    assert.equal(loggableUrl('/?password=s3cret'), '/?password=***');
    assert.ok(!loggableUrl(`/?query=${'x'.repeat(300)}&password=s3cret`).includes('s3cret'));
  });
});
