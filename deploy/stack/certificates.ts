/**
 * The local stack's own certificate authority, for Kafka's TLS listeners: a CA, a broker
 * certificate for 127.0.0.1 and localhost, and a client certificate for mTLS, made with openssl
 * once into `<state>/tls` and kept (a client's trusted CA stays the same across restarts). A state
 * dir from before the secured listeners gets them on the next start. Everything is made in a
 * scratch folder renamed into place, so an interrupted run leaves nothing half made.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConnectError } from '../../common/errors.js';
import type { StackEndpoints } from './endpoints.js';

const run = promisify(execFile);

/** Ten years: a developer's stack should never meet an expired certificate. */
const VALIDITY_DAYS = '3650';

export interface StackCertificates {
  readonly dir: string;
  /** The CA certificate: what a client of the TLS listeners trusts (`kafka.ssl.ca`). */
  readonly caFile: string;
  /** The broker's private key, certificate and the CA, in one PEM file (Kafka's PEM keystore). */
  readonly brokerKeystoreFile: string;
  /** A client certificate signed by the CA and its key, for the mTLS listener. */
  readonly clientCertificateFile: string;
  readonly clientKeyFile: string;
}

export function stackCertificates(endpoints: StackEndpoints): StackCertificates {
  const dir = join(endpoints.stateDir, 'tls');
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    brokerKeystoreFile: join(dir, 'broker.pem'),
    clientCertificateFile: join(dir, 'client.crt'),
    clientKeyFile: join(dir, 'client.key'),
  };
}

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 60_000 });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    const detail =
      failure.code === 'ENOENT' ? 'openssl is not installed (apt-get install openssl)' : (failure.stderr ?? '').trim();
    throw new ConnectError(`openssl ${args[0] ?? ''} failed: ${detail}`, { cause: error });
  }
}

/** A key and a certificate signed by the CA in `dir`, with the given extensions. */
async function signed(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  await openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      VALIDITY_DAYS,
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
}

/** Makes the CA and the certificates unless they exist; returns where they are. */
export async function ensureStackCertificates(
  endpoints: StackEndpoints,
  say: (line: string) => void,
): Promise<StackCertificates> {
  const certificates = stackCertificates(endpoints);
  if (existsSync(certificates.dir)) return certificates;
  say(`making the stack's certificate authority and certificates in ${certificates.dir}`);
  mkdirSync(endpoints.stateDir, { recursive: true });
  const scratch = mkdtempSync(`${certificates.dir}.partial-`);
  try {
    await openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        VALIDITY_DAYS,
        '-subj',
        '/CN=bookeo-connect local stack CA',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      scratch,
    );
    await signed(
      scratch,
      'broker',
      '/CN=localhost',
      'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
    );
    await signed(scratch, 'client', '/CN=bookeo-connect-client', 'extendedKeyUsage=clientAuth\n');
    const pem = (file: string): string => readFileSync(join(scratch, file), 'utf8');
    writeFileSync(join(scratch, 'broker.pem'), pem('broker.key') + pem('broker.crt') + pem('ca.crt'), {
      mode: 0o600,
    });
    renameSync(scratch, certificates.dir);
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
  return certificates;
}
