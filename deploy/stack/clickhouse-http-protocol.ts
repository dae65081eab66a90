/**
 * The pure half of the ClickHouse HTTP front: how a request's URL parameters, `X-ClickHouse-*`
 * headers, SQL and errors map onto the ClickHouse HTTP interface as `@clickhouse/client`, curl and
 * other drivers use it. No I/O here, so all of it is unit-tested
 * (test/unit/clickhouse-http-protocol.test.ts).
 */

/**
 * URL parameters that are HTTP-layer switches or identities, not engine settings. Forwarding them
 * as `SET` would fail (UNKNOWN_SETTING) or do harm (`readonly=1` would lock the shared session).
 */
const NOT_SETTINGS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'session_id',
  'session_timeout',
  'session_check',
  'user',
  'password',
  'quota_key',
  'role',
  'compress',
  'decompress',
  'buffer_size',
  'readonly',
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_response_buffer_size',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_native_compression_disable_checksumming_on_decompress',
  'add_http_cors_header',
]);

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface HttpQueryRequest {
  /** The `query` URL parameter, when present. */
  readonly query: string | undefined;
  readonly database: string | undefined;
  readonly defaultFormat: string | undefined;
  readonly queryId: string | undefined;
  /** `{name:Type}` values from `param_<name>`, as sent: ClickHouse's text ("Escaped") form of the value. */
  readonly queryParams: Readonly<Record<string, string>>;
  /** Engine settings to apply to this query only. */
  readonly settings: Readonly<Record<string, string>>;
}

/** Request headers as node gives them (lower-case names). */
export type HttpHeaders = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: HttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

/**
 * Reads the URL parameters and the interface's headers. As in ClickHouse's own HTTP handler,
 * `X-ClickHouse-Database` and `X-ClickHouse-Format` override the `database` and `default_format`
 * parameters, while the `query_id` parameter overrides `X-ClickHouse-Query-Id`.
 * `X-ClickHouse-User`/`X-ClickHouse-Key` are accepted and not checked, like `user`/`password`:
 * the front has no users beyond `default`.
 */
export function parseHttpParams(search: URLSearchParams, headers: HttpHeaders = {}): HttpQueryRequest {
  const queryParams: Record<string, string> = {};
  const settings: Record<string, string> = {};
  for (const [name, value] of search) {
    if (name.startsWith('param_')) {
      const param = name.slice('param_'.length);
      if (!SETTING_NAME.test(param))
        throw new HttpProtocolError(457, `Invalid query parameter name ${JSON.stringify(param)}`);
      queryParams[param] = value;
    } else if (!NOT_SETTINGS.has(name)) {
      if (!SETTING_NAME.test(name)) throw new HttpProtocolError(115, `Unknown setting ${JSON.stringify(name)}`);
      settings[name] = value;
    }
  }
  return {
    query: search.get('query') ?? undefined,
    database: header(headers, 'x-clickhouse-database') ?? search.get('database') ?? undefined,
    defaultFormat: header(headers, 'x-clickhouse-format') ?? search.get('default_format') ?? undefined,
    queryId: search.get('query_id') ?? header(headers, 'x-clickhouse-query-id'),
    queryParams,
    settings,
  };
}

export interface InsertWithBody {
  /** The statement reading its rows from `file` instead of the request body. */
  readonly sql: (file: string) => string;
  readonly format: string;
}

const INSERT_AWAITING_DATA =
  /^(\s*INSERT\s+INTO\s[\s\S]*?)(\s+SETTINGS\s[\s\S]*?)?\s+(?:FORMAT\s+([A-Za-z0-9_]+)|(VALUES))\s*;?\s*$/i;

/**
 * An `INSERT … FORMAT X` (or `… VALUES`) whose rows are the request body. The body is spooled to
 * a file and read with `FROM INFILE`: bytes reach the engine untouched (chdb's inline-data path
 * trims trailing whitespace and NUL bytes, which breaks RowBinary), and nothing is held in memory.
 */
export function insertAwaitingBody(sql: string): InsertWithBody | undefined {
  const match = INSERT_AWAITING_DATA.exec(sql);
  if (!match) return undefined;
  const [, head, settings, format] = match;
  const effective = format ?? 'Values';
  return {
    format: effective,
    sql: (file) => `${head ?? ''} FROM INFILE ${quoteString(file)}${settings ?? ''} FORMAT ${effective}`,
  };
}

export function quoteString(value: string): string {
  // NUL escaped too: the statement crosses into the engine as a C string.
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0')}'`;
}

export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

/** A request URL for the log: the `password` parameter's value masked, the rest cut at 200 characters. */
export function loggableUrl(url: string): string {
  return url.replace(/([?&]password=)[^&]*/g, '$1***').slice(0, 200);
}

/** The output format a response will have: the statement's own FORMAT clause wins, as in ClickHouse. */
export function responseFormat(sql: string, defaultFormat: string | undefined): string {
  const own = /\bFORMAT\s+([A-Za-z0-9_]+)\s*(?:SETTINGS\s[\s\S]*)?;?\s*$/i.exec(sql);
  return own?.[1] ?? defaultFormat ?? 'TabSeparated';
}

export function contentType(format: string): string {
  if (format.startsWith('JSON'))
    return format.includes('EachRow') ? 'application/x-ndjson; charset=UTF-8' : 'application/json; charset=UTF-8';
  if (format.startsWith('TabSeparated') || format.startsWith('TSV')) return 'text/tab-separated-values; charset=UTF-8';
  if (format.startsWith('CSV')) return 'text/csv; charset=UTF-8; header=absent';
  if (format.startsWith('RowBinary') || format === 'Native' || format === 'Parquet' || format === 'Arrow')
    return 'application/octet-stream';
  return 'text/plain; charset=UTF-8';
}

/** A protocol-level failure raised by the front itself, reported like an engine error. */
export class HttpProtocolError extends Error {
  readonly code: number;
  /** The HTTP status when the code's usual one does not fit (a refused interface feature). */
  readonly status: number | undefined;
  constructor(code: number, message: string, status?: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** Codes ClickHouse's HTTP handler answers with 404 / 400 (the subset a client meets); the rest is 500. */
const NOT_FOUND = new Set([46, 50, 56, 60, 81]);
const BAD_REQUEST = new Set([6, 25, 26, 27, 36, 38, 41, 42, 43, 47, 53, 62, 72, 73, 115, 117, 456, 457]);

export interface ErrorResponse {
  readonly status: number;
  readonly code: number;
  /** `Code: N. DB::Exception: … (version …)`, the text clients parse. */
  readonly body: string;
}

export function errorResponse(error: unknown, engineVersion: string): ErrorResponse {
  const message = error instanceof Error ? error.message : String(error);
  const parsed = /^Code: (\d+)\. /.exec(message);
  const code = parsed
    ? Number(parsed[1])
    : error instanceof HttpProtocolError
      ? error.code
      : (numericCode(error) ?? 1001);
  const text = parsed ? message : `Code: ${code}. DB::Exception: ${message}`;
  const status =
    error instanceof HttpProtocolError && error.status !== undefined
      ? error.status
      : NOT_FOUND.has(code)
        ? 404
        : BAD_REQUEST.has(code)
          ? 400
          : 500;
  const versioned = text.includes('(version ') ? text.trimEnd() : `${text.trimEnd()} (version ${engineVersion})`;
  return { status, code, body: `${versioned}\n` };
}

/** chdb errors carry the engine's code as `clickhouseCode`; binder errors have none (→ 457, BAD_QUERY_PARAMETER). */
function numericCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { clickhouseCode, name } = error as { clickhouseCode?: unknown; name?: unknown };
  if (typeof clickhouseCode === 'number') return clickhouseCode;
  return name === 'ChdbBindError' ? 457 : undefined;
}
