/**
 * TLS material named in the configuration (a CA, a client certificate, its private key): each value
 * is either the PEM text itself or the path of a file holding it, such as a mounted Kubernetes
 * secret. Files are read when a client is created, and a problem is a ConfigError naming the key,
 * never quoting the value (a private key must not reach a log).
 *
 * Also the one test of whether a Node TLS error is a refused certificate (configuration, not an
 * outage), shared by the clients of the registry and the destinations.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors.js';

/** PEM text (`-----BEGIN …`) or the path of a file holding it. */
export const pemSchema = z.string().min(1);

/**
 * A client certificate needs its key and the other way round (reported on the missing one, without
 * a value). `names` are the section's keys for them (Kafka's section calls them certificate and privateKey).
 */
export function requireCertificateWithKey(
  section: Readonly<Record<string, unknown>>,
  context: z.RefinementCtx,
  names: { readonly cert: string; readonly key: string } = { cert: 'cert', key: 'key' },
): void {
  if ((section[names.cert] === undefined) !== (section[names.key] === undefined))
    context.addIssue({
      code: 'custom',
      path: [section[names.key] === undefined ? names.key : names.cert],
      message: `${names.cert} and ${names.key} together (mutual TLS), or neither`,
      input: undefined,
    });
}

/** A TLS section: a CA to trust instead of the system's, a client certificate and key, and whether to check the server. */
export const tlsSchema = z
  .strictObject({
    ca: pemSchema.optional(),
    cert: pemSchema.optional(),
    key: pemSchema.optional(),
    /** false turns off the check of the server's certificate (never in production). */
    rejectUnauthorized: z.boolean().default(true),
  })
  .superRefine(requireCertificateWithKey);

/** A `tls` section is for an https:// URL; over http:// it would be ignored, so it is refused. Reported without the section's values. */
export function requireHttpsForTls(
  section: string,
  url: string,
  tls: object | undefined,
  context: z.RefinementCtx,
): void {
  if (tls === undefined || !URL.canParse(url)) return;
  const scheme = new URL(url).protocol;
  if (scheme !== 'https:')
    context.addIssue({
      code: 'custom',
      path: ['tls'],
      message: `an https:// ${section}.url when ${section}.tls is set`,
      input: `${scheme}//`,
    });
}

/** The PEM a client is given: a CA to trust, a client certificate and its key (mutual TLS). */
export interface TlsMaterial {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

const PEM_HEADER = '-----BEGIN ';

/** The PEM of `value` (inline, or read from the file it names); `configKey` names it in errors. */
export function readPem(configKey: string, value: string): string {
  if (value.includes(PEM_HEADER)) return value;
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    // A value that is neither PEM nor a path (a truncated secret, a DER blob) is not echoed.
    const found = /^[\w./~-]+$/.test(value) ? `${value} (${code})` : `a value that is neither PEM nor a file (${code})`;
    throw new ConfigError([{ key: configKey, expected: 'PEM text or the path of a readable PEM file', found }]);
  }
  if (!text.includes(PEM_HEADER))
    throw new ConfigError([
      { key: configKey, expected: 'a file holding PEM (-----BEGIN …)', found: `${value} (not PEM)` },
    ]);
  return text;
}

/** Reads each configured value of a TLS section (`section` is its config path, e.g. `schemaRegistry.tls`). */
export function readTlsMaterial(section: string, config: TlsMaterial): TlsMaterial {
  const problems: ConfigError[] = [];
  const read = (name: keyof TlsMaterial): string | undefined => {
    const value = config[name];
    if (value === undefined) return undefined;
    try {
      return readPem(`${section}.${name}`, value);
    } catch (error) {
      problems.push(error as ConfigError);
      return undefined;
    }
  };
  const material = { ca: read('ca'), cert: read('cert'), key: read('key') };
  if (problems.length > 0) throw new ConfigError(problems.flatMap((problem) => problem.problems));
  return Object.fromEntries(Object.entries(material).filter(([, value]) => value !== undefined));
}

/** Node's codes for a certificate refused by the client (self-signed, unknown CA, wrong host name, expired). */
export function isCertificateRefusal(code: unknown): boolean {
  return typeof code === 'string' && (/CERT|SIGNATURE|ISSUER/.test(code) || code === 'ERR_TLS_CERT_ALTNAME_INVALID');
}
