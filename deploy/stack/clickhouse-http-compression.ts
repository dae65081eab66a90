/**
 * Compression as the ClickHouse HTTP front speaks it: HTTP `Content-Encoding` request bodies and
 * `Accept-Encoding` responses (with `enable_http_compression=1`, as ClickHouse asks) in gzip,
 * deflate or br through node:zlib. ClickHouse's own framing (`compress=1` / `decompress=1`:
 * checksummed LZ4 blocks with CityHash128) has no well-kept npm implementation, so it is refused
 * with an error naming it rather than answered in a framing the client would misread.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  brotliCompress,
  constants,
  createBrotliDecompress,
  createGunzip,
  createInflate,
  deflate,
  gzip,
} from 'node:zlib';
import { HttpProtocolError } from './clickhouse-http-protocol.js';

export type HttpEncoding = 'gzip' | 'deflate' | 'br';

const NOT_IMPLEMENTED = 48;
const BAD_ARGUMENTS = 36;

function isSet(search: URLSearchParams, name: string): boolean {
  const value = search.get(name);
  return value !== null && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** Throws (HTTP 400) when the request asks for ClickHouse's native compressed framing. */
export function refuseNativeCompression(search: URLSearchParams): void {
  if (isSet(search, 'compress'))
    throw new HttpProtocolError(
      NOT_IMPLEMENTED,
      'compress=1 (ClickHouse compressed response blocks: LZ4 with CityHash128 checksums) is not supported by the local ClickHouse front; leave compress unset, or ask for HTTP compression with enable_http_compression=1 and Accept-Encoding: gzip',
      400,
    );
  if (isSet(search, 'decompress'))
    throw new HttpProtocolError(
      NOT_IMPLEMENTED,
      'decompress=1 (ClickHouse compressed request blocks: LZ4 with CityHash128 checksums) is not supported by the local ClickHouse front; send the body plain or with Content-Encoding: gzip',
      400,
    );
}

/** The request body, decoded from its `Content-Encoding`. */
export function requestBody(request: IncomingMessage): Readable {
  const encoding = (request.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return request;
  if (encoding === 'gzip') return request.pipe(createGunzip());
  if (encoding === 'deflate') return request.pipe(createInflate());
  if (encoding === 'br') return request.pipe(createBrotliDecompress());
  throw new HttpProtocolError(
    BAD_ARGUMENTS,
    `Content-Encoding ${JSON.stringify(encoding)} is not supported by the local ClickHouse front (gzip, deflate and br are)`,
    400,
  );
}

/** The encoding of the answer: one the client accepts, only when `enable_http_compression` is on. */
export function responseEncoding(
  search: URLSearchParams,
  acceptEncoding: string | undefined,
): HttpEncoding | undefined {
  if (!isSet(search, 'enable_http_compression') || acceptEncoding === undefined) return undefined;
  const accepted = new Set(
    acceptEncoding
      .split(',')
      .map((part) => part.split(';'))
      .filter(([, quality]) => quality === undefined || !/^\s*q=0(?:\.0*)?\s*$/.test(quality))
      .map(([name]) => (name ?? '').trim().toLowerCase()),
  );
  return (['gzip', 'deflate', 'br'] as const).find((encoding) => accepted.has(encoding));
}

const gzipAsync = promisify(gzip);
const deflateAsync = promisify(deflate);
const brotliAsync = promisify(brotliCompress);

/** Compresses an answer; `http_zlib_compression_level` (1–9, ClickHouse's default 3) sets gzip/deflate's level. */
export function encodeResponse(body: Buffer, encoding: HttpEncoding, search: URLSearchParams): Promise<Buffer> {
  const requested = Number(search.get('http_zlib_compression_level') ?? '3');
  const level = Number.isInteger(requested) && requested >= 1 && requested <= 9 ? requested : 3;
  if (encoding === 'gzip') return gzipAsync(body, { level });
  if (encoding === 'deflate') return deflateAsync(body, { level });
  return brotliAsync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } });
}
