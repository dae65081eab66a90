/**
 * What counts as a secret, in one place: configuration keys, HTTP headers and log paths all derive
 * from this list, so a new secret is masked everywhere by adding one name here.
 */

/** Object keys whose values are secrets wherever they appear (config, logs, status output). */
export const SECRET_KEYS: readonly string[] = Object.freeze([
  'secretKey',
  'apiKey',
  'password',
  'bearerToken',
  'token',
  'saslPassword',
  'clientSecret',
  'passphrase',
  'privateKey',
]);

/** HTTP headers that carry secrets (lower-case, as undici and node report them). */
export const SECRET_HEADERS: readonly string[] = Object.freeze([
  'x-bookeo-secretkey',
  'x-bookeo-apikey',
  'authorization',
]);

export const MASK = '***';

export function isSecretKey(key: string | number | symbol): boolean {
  return typeof key === 'string' && SECRET_KEYS.includes(key);
}

/** `scheme://user:password@host…`: a password written into a URL (a connection string, a registry URL). */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s"']*:)([^@/?#\s"']*)@/gi;

const URL_PASSWORD_TEST = new RegExp(URL_PASSWORD.source, 'i');

/** The text with the password of every URL in it masked, e.g. `postgres://app:***@db/prod`. */
export function maskUrlPassword(text: string): string {
  return text.replace(URL_PASSWORD, (_match, head: string, password: string) =>
    password === '' ? `${head}@` : `${head}${MASK}@`,
  );
}

/** A private key written inline as PEM (a TLS `key`, whose name alone does not mark it secret), to its end or the text's. */
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/** `"apiKey":"…"`, `apiKey: …`, `password=…` (JSON, YAML, properties), quoted or not, closed or cut short. */
const SECRET_ASSIGNMENT = new RegExp(
  `((?:\\\\?["'])?\\b(?:${SECRET_KEYS.join('|')})\\b(?:\\\\?["'])?\\s*[:=]\\s*)` +
    // a JSON string inside a JSON string (\"…\"), a JSON string, a single-quoted one, or the rest of the line
    `(\\\\"(?:[^"\\\\]|\\\\[^"])*(?:\\\\"|$)|"(?:[^"\\\\]|\\\\.)*(?:"|$)|'[^']*(?:'|$)|[^\\r\\n,}\\]]+)`,
  'gi',
);

/**
 * Free text (a parse error's snippet, a value that was meant to be JSON, an error message) with
 * every secret it visibly holds masked: values assigned to secret keys, passwords in URLs, inline
 * private keys.
 */
export function maskSecretsInText(text: string): string {
  return maskUrlPassword(text.replace(SECRET_ASSIGNMENT, (_match, head: string) => `${head}${MASK}`)).replace(
    PRIVATE_KEY_PEM,
    MASK,
  );
}

/** A deep copy with every secret value replaced by the mask, and passwords inside URLs and inline private keys masked; safe to log or print. */
export function maskSecrets<T>(value: T): T {
  if (typeof value === 'string') return maskUrlPassword(value).replace(PRIVATE_KEY_PEM, MASK) as T;
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item)) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = isSecretKey(key) && inner !== undefined ? MASK : maskSecrets(inner);
    }
    return out as T;
  }
  return value;
}

/**
 * A log line's fields with every URL password masked; the value itself when nothing needed it (no
 * copy on the hot path). An error whose message or stack holds one becomes a masked copy.
 */
export function maskUrlsInLogValue<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return (URL_PASSWORD_TEST.test(value) ? maskUrlPassword(value) : value) as T;
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    if (!URL_PASSWORD_TEST.test(`${value.message}\n${value.stack ?? ''}`)) return value;
    const copy = Object.create(Object.getPrototypeOf(value) as object) as Error;
    Object.assign(copy, maskUrlsInLogValue({ ...value }, depth + 1));
    Object.defineProperty(copy, 'message', { value: maskUrlPassword(value.message), enumerable: false });
    Object.defineProperty(copy, 'stack', { value: maskUrlPassword(value.stack ?? ''), enumerable: false });
    return copy as T;
  }
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => maskUrlsInLogValue(item, depth + 1));
    return (items.some((item, index) => item !== value[index]) ? items : value) as T;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, inner] of Object.entries(value)) {
    const masked = maskUrlsInLogValue(inner, depth + 1);
    if (masked !== inner) (copy ??= { ...(value as Record<string, unknown>) })[key] = masked;
  }
  return (copy ?? value) as T;
}

/** pino `redact` paths: each secret key at the top level and up to three levels down, plus secret headers. */
export function secretLogPaths(): string[] {
  const paths: string[] = [];
  for (const key of SECRET_KEYS) {
    paths.push(key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`);
  }
  for (const header of SECRET_HEADERS) {
    paths.push(`headers["${header}"]`, `*.headers["${header}"]`);
  }
  return paths;
}
