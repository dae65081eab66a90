/**
 * The `postgres` configuration → pg pool options, parsed here rather than by pg: pg's own parser
 * lets the URL's (empty) password replace the configured one and `sslmode` replace the whole `ssl`
 * object (CA included). Parsing here also means the connection string, which may carry a password,
 * is never handed to pg, never logged (`display` is the masked form) and never quoted in an error.
 *
 * URL: `postgres://user[:password]@host[:port]/database[?param=value&…]`, parameters as in libpq:
 *   sslmode           disable | require | verify-ca | verify-full (libpq's meanings), no-verify (pg's)
 *   sslrootcert       file with the CA certificate(s) to trust (like `ssl.ca`, which holds the PEM)
 *   application_name, options (e.g. `-c search_path=…`)
 *   channel_binding   prefer or require: SCRAM channel binding whenever the server offers it (pg
 *                     cannot refuse a server that does not, so `require` acts as `prefer`); disable
 * `prefer`/`allow` are refused: pg cannot fall back between TLS and plain text, and guessing
 * either way is worse than saying so. Other parameters are refused by name, as config keys are.
 *
 * TLS without sslmode: on when the `ssl` section is present (verify-full unless it says
 * `rejectUnauthorized: false`), off otherwise. With sslmode, the mode decides the verification and
 * the section adds its CA and client certificate (PEM text or files); `rejectUnauthorized: false`
 * always turns verification off.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { PoolConfig } from 'pg';
import { ConfigError, type ConfigProblem } from '../../common/errors.js';
import { maskUrlPassword } from '../../common/secrets.js';
import { readTlsMaterial, type TlsMaterial } from '../../common/tls.js';
import type { PostgresConfig } from './config.js';

/** The client's own timeouts are a backstop: the server's statement_timeout fires first and names itself. */
const CLIENT_TIMEOUT_MARGIN_MS = 5_000;
const IDLE_TIMEOUT_MS = 30_000;

const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full', 'no-verify'] as const;
type SslMode = (typeof SSL_MODES)[number];
const PARAMETERS = new Set(['sslmode', 'sslrootcert', 'application_name', 'options', 'channel_binding']);

export interface PostgresConnection {
  readonly pool: PoolConfig;
  /** The connection string with any password masked: what logs and errors may show. */
  readonly display: string;
  /** Values that must never appear in a message (the password, wherever it came from). */
  readonly secrets: readonly string[];
}

function problem(key: string, expected: string, found: string): ConfigError {
  return new ConfigError([{ key, expected, found }]);
}

/** The connection string with its password replaced by the mask; safe for logs and status output. */
export const maskConnectionString = maskUrlPassword;

/**
 * pg's `ssl` option for a mode, a CA, a client certificate and the section's `rejectUnauthorized`.
 * Node verifies the chain when rejectUnauthorized is true and the host name unless
 * checkServerIdentity says otherwise. The client certificate is offered whatever the mode.
 */
export function tlsOptions(
  mode: SslMode | undefined,
  section: PostgresConfig['ssl'],
  ca: string | undefined,
  client: { cert?: string; key?: string } = {},
): false | ConnectionOptions {
  if (mode === 'disable') return false;
  if (mode === undefined && section === undefined) return false;
  const withCa = ca === undefined ? {} : { ca };
  if (section?.rejectUnauthorized === false || mode === 'no-verify' || (mode === 'require' && ca === undefined))
    return { ...client, rejectUnauthorized: false };
  // verify-ca (and require with a CA, as in libpq): the chain is checked, the host name is not.
  if (mode === 'verify-ca' || mode === 'require')
    return { ...withCa, ...client, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  return { ...withCa, ...client, rejectUnauthorized: true };
}

function decode(part: string): string {
  return decodeURIComponent(part);
}

/** Every problem of the connection settings at once, as config errors are reported. */
export function postgresConnection(config: PostgresConfig): PostgresConnection {
  let url: URL;
  try {
    url = new URL(config.connectionString);
  } catch {
    // The string itself may hold a password: say what is wrong, not what it was.
    throw problem('postgres.connectionString', 'a URL postgres://user@host:port/database', 'an unparsable URL');
  }
  const problems: ConfigProblem[] = [];
  const params = url.searchParams;
  for (const name of params.keys()) {
    if (!PARAMETERS.has(name))
      problems.push({
        key: `postgres.connectionString ?${name}`,
        expected: `one of the parameters ${[...PARAMETERS].join(', ')}`,
        found: name,
      });
  }
  const sslmode = params.get('sslmode') ?? undefined;
  if (sslmode !== undefined && !(SSL_MODES as readonly string[]).includes(sslmode)) {
    problems.push({
      key: 'postgres.connectionString ?sslmode',
      expected: `${SSL_MODES.join(', ')} (pg cannot fall back between TLS and plain text, so prefer/allow are not offered)`,
      found: sslmode,
    });
  }
  if (sslmode === 'disable' && config.ssl !== undefined)
    problems.push({
      key: 'postgres.ssl',
      expected: 'no ssl section when the connection string says sslmode=disable',
      found: 'an ssl section',
    });
  const rootCert = params.get('sslrootcert') ?? undefined;
  if (rootCert !== undefined && config.ssl?.ca !== undefined)
    problems.push({ key: 'postgres.ssl.ca', expected: 'one CA: either ssl.ca or ?sslrootcert=', found: 'both' });
  // PEM text or files (a mounted secret); a CA given twice is reported above, so only one is read.
  let material: TlsMaterial = {};
  try {
    const { ca: configuredCa, cert, key } = config.ssl ?? {};
    material = readTlsMaterial('postgres.ssl', { ...(rootCert === undefined ? { ca: configuredCa } : {}), cert, key });
  } catch (error) {
    problems.push(...(error as ConfigError).problems);
  }
  let ca = material.ca;
  if (rootCert !== undefined) {
    try {
      ca = readFileSync(rootCert, 'utf8');
    } catch (error) {
      problems.push({
        key: 'postgres.connectionString ?sslrootcert',
        expected: 'a readable CA certificate file',
        found: `${rootCert} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      });
    }
  }
  const channelBinding = params.get('channel_binding') ?? 'disable';
  if (!['disable', 'prefer', 'require'].includes(channelBinding))
    problems.push({
      key: 'postgres.connectionString ?channel_binding',
      expected: 'disable, prefer or require',
      found: channelBinding,
    });
  if (url.hostname === '')
    problems.push({
      key: 'postgres.connectionString',
      expected: 'a host (postgres://user@host:port/database)',
      found: 'none',
    });
  if (problems.length > 0) throw new ConfigError(problems);

  const urlPassword = url.password === '' ? undefined : decode(url.password);
  const password = config.password ?? urlPassword;
  const database = decode(url.pathname.replace(/^\//, ''));
  const pool: PoolConfig = {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 5432 : Number(url.port),
    ...(url.username === '' ? {} : { user: decode(url.username) }),
    ...(password === undefined ? {} : { password }),
    ...(database === '' ? {} : { database }),
    ssl: tlsOptions(sslmode as SslMode | undefined, config.ssl, ca, {
      ...(material.cert === undefined ? {} : { cert: material.cert }),
      ...(material.key === undefined ? {} : { key: material.key }),
    }),
    application_name: params.get('application_name') ?? 'bookeo-connect',
    ...(params.has('options') ? { options: params.get('options') as string } : {}),
    enableChannelBinding: channelBinding !== 'disable',
    max: config.poolSize,
    connectionTimeoutMillis: config.requestTimeoutMs,
    statement_timeout: config.requestTimeoutMs,
    query_timeout: config.requestTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    keepAlive: true,
  };
  return {
    pool,
    display: maskConnectionString(config.connectionString),
    secrets: [config.password, urlPassword].filter((value): value is string => value !== undefined && value !== ''),
  };
}
