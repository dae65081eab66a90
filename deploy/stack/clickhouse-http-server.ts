/**
 * A ClickHouse HTTP front over one chDB engine: ClickHouse's HTTP interface as `@clickhouse/client`,
 * clickhouse-connect and curl use it (ping, queries by GET or POST, inserts with the rows as the
 * body after a `query=` statement or after the statement in the body itself, byte-exact either way,
 * `default_format`, `database`, `param_*` and settings as URL parameters, the `X-ClickHouse-*`
 * headers, HTTP compression, ClickHouse error texts and codes). It is the real ClickHouse engine
 * (chDB) behind a small HTTP layer of our own; not the native TCP protocol, no users or auth, one
 * process owning the data folder.
 *
 * Run: node --import tsx deploy/stack/clickhouse-http-server.ts --port 8123 --data <folder>
 * (`--port 0` takes a free port; the "listening" log line names it).
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createLogger } from '../../common/logger.js';
import { ClickHouseEngine, type EngineResult } from './clickhouse-engine.js';
import { splitBodyStatement } from './clickhouse-http-body.js';
import {
  encodeResponse,
  refuseNativeCompression,
  requestBody,
  responseEncoding,
  type HttpEncoding,
} from './clickhouse-http-compression.js';
import {
  contentType,
  errorResponse,
  HttpProtocolError,
  insertAwaitingBody,
  loggableUrl,
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

function nextSpoolFile(): string {
  return join(spoolDir, `${++spoolCounter}.body`);
}

/** A POST body read from its start: what is buffered so far and the rest still to come. */
interface BodyHead {
  readonly chunks: Buffer[];
  readonly rest: AsyncIterator<Buffer>;
  complete: boolean;
}

async function readMore(head: BodyHead): Promise<void> {
  const next = await head.rest.next();
  if (next.done === true) head.complete = true;
  else head.chunks.push(next.value);
}

async function readText(head: BodyHead): Promise<string> {
  let size = head.chunks.reduce((total, chunk) => total + chunk.length, 0);
  while (!head.complete) {
    if (size > MAX_QUERY_BODY_BYTES)
      throw new HttpProtocolError(
        1001,
        `query body over ${MAX_QUERY_BODY_BYTES} bytes; send rows after an INSERT … FORMAT X statement (in the query parameter or at the start of the body)`,
      );
    await readMore(head);
    size += head.chunks.at(-1)?.length ?? 0;
  }
  return Buffer.concat(head.chunks).toString('utf8');
}

/** Writes the rows (the bytes from `dataOffset` of what is buffered, then the rest) to the spool file. */
async function spoolRows(file: string, buffered: Buffer, rest: AsyncIterator<Buffer> | undefined): Promise<void> {
  await pipeline(async function* () {
    if (buffered.length > 0) yield buffered;
    if (rest === undefined) return;
    for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
  }, createWriteStream(file));
}

interface Statement {
  readonly sql: string;
  readonly isInsert: boolean;
  /** Set for an insert whose rows are in the request's spool file. */
  readonly spooled: boolean;
}

/**
 * A POST without a `query=` INSERT awaiting rows: the statement is the `query` parameter's text
 * and the body. An INSERT whose rows follow it in the body is split on the raw bytes and its rows
 * spooled untouched; anything else is read as text.
 */
async function bodyStatement(
  request: IncomingMessage,
  query: string | undefined,
  spoolFile: string,
): Promise<Statement> {
  const prefix = query === undefined || query === '' ? Buffer.alloc(0) : Buffer.from(`${query}\n`, 'utf8');
  const stream: Readable = requestBody(request);
  const head: BodyHead = { chunks: [], rest: stream[Symbol.asyncIterator](), complete: false };
  for (;;) {
    const split = splitBodyStatement(Buffer.concat([prefix, ...head.chunks]), head.complete);
    if (split.kind === 'insert') {
      const insert = insertAwaitingBody(split.statement);
      if (insert === undefined) break;
      const buffered = Buffer.concat([prefix, ...head.chunks]).subarray(split.dataOffset);
      await spoolRows(spoolFile, buffered, head.complete ? undefined : head.rest);
      return { sql: insert.sql(spoolFile), isInsert: true, spooled: true };
    }
    if (split.kind === 'text') break;
    await readMore(head);
  }
  const body = await readText(head);
  // As in ClickHouse: the query parameter and the body together form the statement.
  const sql = [query, body].filter((part) => part !== undefined && part !== '').join('\n');
  return { sql, isInsert: /^\s*INSERT\b/i.test(sql), spooled: false };
}

const EMPTY_RESULT: EngineResult = { body: Buffer.alloc(0), rowsRead: 0, bytesRead: 0, elapsedSeconds: 0 };

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
  refuseNativeCompression(url.searchParams);
  const params = parseHttpParams(url.searchParams, request.headers);
  const queryId = params.queryId ?? randomUUID();
  const encoding = responseEncoding(url.searchParams, request.headers['accept-encoding']);
  const answer = (format: string, result: EngineResult, isInsert: boolean): Promise<void> =>
    respond(response, { queryId, format, result, isInsert, encoding, search: url.searchParams });
  const insert = request.method === 'POST' && params.query !== undefined ? insertAwaitingBody(params.query) : undefined;
  const spoolFile = request.method === 'POST' ? nextSpoolFile() : undefined;
  try {
    let statement: Statement;
    if (insert && spoolFile !== undefined) {
      // The sinks' path: the statement in `query=`, the body is the rows, streamed to the spool file.
      statement = { sql: insert.sql(spoolFile), isInsert: true, spooled: true };
      await pipeline(requestBody(request), createWriteStream(spoolFile));
    } else if (spoolFile !== undefined) {
      statement = await bodyStatement(request, params.query, spoolFile);
    } else {
      const sql = params.query ?? '';
      statement = { sql, isInsert: /^\s*INSERT\b/i.test(sql), spooled: false };
    }
    // ClickHouse accepts an INSERT without rows; chDB refuses an empty file, so answer it here.
    if (statement.spooled && spoolFile !== undefined && statSync(spoolFile).size === 0)
      return await answer('TabSeparated', EMPTY_RESULT, true);
    const { sql } = statement;
    if (sql.trim() === '') throw new HttpProtocolError(62, 'Empty query');
    const format = responseFormat(sql, params.defaultFormat);
    const result = await engine.run({
      sql,
      format: params.defaultFormat ?? 'TabSeparated',
      queryParams: params.queryParams,
      settings: params.settings,
      database: params.database,
    });
    await answer(format, result, statement.isInsert);
  } finally {
    if (spoolFile !== undefined) rmSync(spoolFile, { force: true });
  }
}

interface Answer {
  readonly queryId: string;
  readonly format: string;
  readonly result: EngineResult;
  readonly isInsert: boolean;
  readonly encoding: HttpEncoding | undefined;
  readonly search: URLSearchParams;
}

async function respond(response: ServerResponse, answer: Answer): Promise<void> {
  const { queryId, format, result, isInsert, encoding } = answer;
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
  const body = encoding === undefined ? result.body : await encodeResponse(result.body, encoding, answer.search);
  response.writeHead(200, {
    ...(encoding === undefined ? {} : { 'content-encoding': encoding }),
    'content-type': contentType(format),
    'x-clickhouse-query-id': queryId,
    'x-clickhouse-format': format,
    'x-clickhouse-timezone': timezone,
    'x-clickhouse-server-display-name': 'chdb-http (bookeo-connect stack)',
    'x-clickhouse-summary': JSON.stringify(summary),
  });
  response.end(body);
}

const server = createServer((request, response) => {
  handle(request, response).catch((error: unknown) => {
    const failure = errorResponse(error, engineVersion);
    logger.info({ code: failure.code, status: failure.status, url: loggableUrl(request.url ?? '') }, 'query failed');
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
    { host: args.host, port: (server.address() as AddressInfo).port, data: args.data, engineVersion },
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
