/** HTTP compression and the refused native framing of the ClickHouse front (deploy/stack/clickhouse-http-compression.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { HttpProtocolError } from '../../deploy/stack/clickhouse-http-protocol.js';
import {
  encodeResponse,
  refuseNativeCompression,
  responseEncoding,
} from '../../deploy/stack/clickhouse-http-compression.js';

describe('ClickHouse front compression', () => {
  it('refuses compress=1 and decompress=1 with a 400 naming them; 0 or false is no request', () => {
    for (const [name, value] of [
      ['compress', '1'],
      ['compress', 'true'],
      ['decompress', '1'],
    ] as const) {
      assert.throws(
        () => refuseNativeCompression(new URLSearchParams({ [name]: value })),
        (error: unknown) =>
          error instanceof HttpProtocolError &&
          error.status === 400 &&
          error.code === 48 &&
          error.message.startsWith(`${name}=1 `) &&
          error.message.includes('not supported by the local ClickHouse front'),
      );
    }
    refuseNativeCompression(new URLSearchParams({ compress: '0', decompress: 'false' }));
  });

  it('compresses only with enable_http_compression=1 and an encoding the client accepts', () => {
    const on = new URLSearchParams({ enable_http_compression: '1' });
    assert.equal(responseEncoding(on, 'gzip, deflate, br'), 'gzip');
    assert.equal(responseEncoding(on, 'br;q=1.0, deflate'), 'deflate');
    assert.equal(responseEncoding(on, 'br'), 'br');
    assert.equal(responseEncoding(on, 'gzip;q=0, br'), 'br', 'q=0 refuses an encoding');
    assert.equal(responseEncoding(on, 'lz4, zstd'), undefined);
    assert.equal(responseEncoding(on, undefined), undefined);
    assert.equal(responseEncoding(new URLSearchParams(), 'gzip'), undefined, 'ClickHouse needs the setting too');
  });

  it('gzips an answer that gunzip restores', async () => {
    const body = Buffer.from('1\tx\n'.repeat(1000));
    const encoded = await encodeResponse(body, 'gzip', new URLSearchParams({ http_zlib_compression_level: '9' }));
    assert.ok(encoded.length < body.length);
    assert.deepEqual(gunzipSync(encoded), body);
  });
});
