/**
 * The @clickhouse/client options of the `clickhouse` section, shared by the destination and the
 * `sql` command: URL and credentials (a URL's user:password@ moved into the options), and TLS (a private CA, a client certificate for mutual TLS)
 * read from PEM text or files. Without a `tls` section an https:// URL is checked against the
 * system's CAs, as before (ClickHouse Cloud).
 */
import { ClickHouseLogLevel, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { readTlsMaterial } from '../../common/tls.js';
import type { ClickHouseConfig } from './config.js';

export function clickhouseClientOptions(config: ClickHouseConfig): ClickHouseClientConfigOptions {
  // Credentials in the URL win, as they would in the client; moved to the options so the URL it holds has none.
  const url = new URL(config.url);
  const username = url.username === '' ? config.username : decodeURIComponent(url.username);
  const password = url.password === '' ? config.password : decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return {
    url: url.toString(),
    username,
    password,
    application: 'bookeo-connect',
    // The client would print to the console on its own; failures reach our logs classified, without credentials.
    log: { level: ClickHouseLogLevel.OFF },
    ...(config.tls === undefined ? {} : { tls: clientTls(config.tls) }),
  };
}

function clientTls(section: NonNullable<ClickHouseConfig['tls']>): NonNullable<ClickHouseClientConfigOptions['tls']> {
  const { ca, cert, key } = readTlsMaterial('clickhouse.tls', section);
  const caCert = Buffer.from(ca as string);
  return cert === undefined || key === undefined
    ? { ca_cert: caCert }
    : { ca_cert: caCert, cert: Buffer.from(cert), key: Buffer.from(key) };
}
