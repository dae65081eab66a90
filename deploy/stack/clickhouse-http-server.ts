/**
 * A ClickHouse HTTP front over one chDB engine: enough of ClickHouse's HTTP interface for
 * `@clickhouse/client` and curl (ping, queries by GET or POST, inserts with the rows as the body,
 * `default_format`, `database`, `param_*` query parameters, settings as URL parameters, ClickHouse
 * error texts and codes). It is the real ClickHouse engine (chDB) behind a small HTTP layer of our
 * own; not the native TCP protocol, no users or auth, one process owning the data folder.
 *
 * Run: node --import tsx deploy/stack/clickhouse-http-server.ts --port 8123 --data <folder>
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { createLogger } from '../../common/logger.js';
import { ClickHouseEngine, type EngineResult } from './clickhouse-engine.js';
import {
  contentType,
  errorResponse,
  HttpProtocolError,
  insertAwaitingBody,
  parseHttpParams,
  responseFormat,
} from './clickhouse-http-protocol.js';

/** A query sent as the body is text held in memory; row data goes through the spool file instead. */
const MAX_QUERY_BODY_BYTES = 64 * 1024 * 1024;

const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8123' },
    data: { type: 'string' },
  },
});
if (args.data === undefined) throw new Error('--data <folder> is required');

const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info', format: 'json', name: 'clickhouse-http' });
const engine = new ClickHouseEngine(args.data);
const spoolDir = mkdtempSync(join(tmpdir(), 'bookeo-clickhouse-'));
const versionRow = await engine.run({
  sql: 'SELECT version(), timezone()',
  format: 'TabSeparated',
  queryParams: {},
  settings: {},
  database: undefined,
});
const [engineVersion = 'unknown', timezone = 'UTC'] = versionRow.body.toString('utf8').trim().split('\t');
let spoolCounter = 0;

function bodyStream(request: IncomingMessage): Readable {
  return request.headers['content-encoding'] === 'gzip' ? request.pipe(createGunzip()) : request;
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of bodyStream(request) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_QUERY_BODY_BYTES)
      throw new HttpProtocolError(
        1001,
        `query body over ${MAX_QUERY_BODY_BYTES} bytes; send rows as the body of an INSERT … FORMAT X given in the query parameter`,
      );
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://clickhouse');
  if (
    url.pathname === '/ping' ||
    (url.pathname === '/' && request.method === 'GET' && !url.searchParams.has('query'))
  ) {
    response.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
    return;
  }
  if (url.pathname !== '/' || (request.method !== 'GET' && request.method !== 'POST')) {
    response
      .writeHead(404, { 'content-type': 'text/plain; charset=UTF-8' })
      .end(`There is no handle ${url.pathname}\n`);
    return;
  }
  const params = parseHttpParams(url.searchParams);
  const queryId = params.queryId ?? randomUUID();
  const insert = request.method === 'POST' && params.query !== undefined ? insertAwaitingBody(params.query) : undefined;
  let spoolFile: string | undefined;
  let isInsert = insert !== undefined;
  try {
    let sql: string;
    if (insert) {
      spoolFile = join(spoolDir, `${++spoolCounter}.body`);
      await pipeline(bodyStream(request), createWriteStream(spoolFile));
      // ClickHouse accepts an INSERT without rows; chDB refuses an empty file, so answer it here.
      if (statSync(spoolFile).size === 0)
        return respond(
          response,
          queryId,
          'TabSeparated',
          { body: Buffer.alloc(0), rowsRead: 0, bytesRead: 0, elapsedSeconds: 0 },
          true,
        );
      sql = insert.sql(spoolFile);
    } else {
      const body = request.method === 'POST' ? await readText(request) : '';
      // As in ClickHouse: the query parameter and the body together form the statement.
      sql = [params.query, body].filter((part) => part !== undefined && part !== '').join('\n');
      isInsert = /^\s*INSERT\b/i.test(sql);
    }
    if (sql.trim() === '') throw new HttpProtocolError(62, 'Empty query');
    const format = responseFormat(sql, params.defaultFormat);
    const result = await engine.run({
      sql,
      format: params.defaultFormat ?? 'TabSeparated',
      queryParams: params.queryParams,
      settings: params.settings,
      database: params.database,
    });
    respond(response, queryId, format, result, isInsert);
  } finally {
    if (spoolFile !== undefined) rmSync(spoolFile, { force: true });
  }
}

function respond(
  response: ServerResponse,
  queryId: string,
  format: string,
  result: EngineResult,
  isInsert: boolean,
): void {
  const rows = String(result.rowsRead);
  const bytes = String(result.bytesRead);
  const summary = {
    read_rows: rows,
    read_bytes: bytes,
    written_rows: isInsert ? rows : '0',
    written_bytes: isInsert ? bytes : '0',
    total_rows_to_read: '0',
    result_rows: isInsert ? '0' : rows,
    result_bytes: isInsert ? '0' : String(result.body.length),
    elapsed_ns: String(Math.round(result.elapsedSeconds * 1e9)),
  };
  response.writeHead(200, {
    'content-type': contentType(format),
    'x-clickhouse-query-id': queryId,
    'x-clickhouse-format': format,
    'x-clickhouse-timezone': timezone,
    'x-clickhouse-server-display-name': 'chdb-http (bookeo-connect stack)',
    'x-clickhouse-summary': JSON.stringify(summary),
  });
  response.end(result.body);
}

const server = createServer((request, response) => {
  handle(request, response).catch((error: unknown) => {
    const failure = errorResponse(error, engineVersion);
    logger.info({ code: failure.code, status: failure.status, url: request.url?.slice(0, 200) }, 'query failed');
    if (response.headersSent) {
      response.destroy();
      return;
    }
    // Drain what the client still sends, so it reads our answer rather than a reset connection.
    request.resume();
    response
      .writeHead(failure.status, {
        'content-type': 'text/plain; charset=UTF-8',
        'x-clickhouse-exception-code': String(failure.code),
      })
      .end(failure.body);
  });
});

server.listen(Number(args.port), args.host, () => {
  logger.info(
    { host: args.host, port: Number(args.port), data: args.data, engineVersion },
    'ClickHouse HTTP front listening',
  );
});

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal }, 'shutting down');
  server.closeAllConnections();
  server.close();
  await engine.close();
  rmSync(spoolDir, { recursive: true, force: true });
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
