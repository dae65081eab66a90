/**
 * The Schema Registry, through its Confluent REST API (Apicurio's ccompat/v7 here), over undici.
 *
 * Why not @kafkajs/confluent-schema-registry's `register()`: it registers the first version
 * before setting the subject's compatibility level (so that version is checked under the global
 * level), throws a bare error when the subject has another level, hides HTTP status codes behind
 * mappersmith errors with a retry loop of its own (stacking with common/retry), and has no call
 * for a compatibility check. The dozen lines of REST each of those needs are below, with errors
 * that say retriable or not, and subjects always named by the caller (TopicNameStrategy:
 * `<topic>-key` / `<topic>-value`, never the client's default namespace.name).
 *
 * Credentials are sent as Basic auth or as a bearer token and never appear in messages: a URL's
 * user:password part is moved into the header and stripped from every URL we print. TLS (a private
 * CA, a client certificate for mutual TLS) is set on the undici agent's connect options; a refused
 * certificate or handshake is a configuration problem, reported as such and not retried.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { isCertificateRefusal, readTlsMaterial, type TlsMaterial } from '../common/tls.js';
import { CompatibilityLevelMismatchError, IncompatibleSchemaError, SchemaRegistryError } from './errors.js';
import type { AvroRecord, AvroType } from './schema-json.js';

export const COMPATIBILITY_LEVELS = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

export interface SchemaRegistryOptions {
  /** e.g. http://127.0.0.1:8081/apis/ccompat/v7; may carry user:password@, which is moved to a header. */
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Sent as `Authorization: Bearer <token>`; never together with a username (the config refuses both). */
  readonly bearerToken?: string | undefined;
  /** CA, client certificate and key as PEM or file paths (read here); `rejectUnauthorized` defaults to true. */
  readonly tls?: (TlsMaterial & { readonly rejectUnauthorized?: boolean }) | undefined;
  readonly timeoutMs?: number | undefined;
}

export interface SubjectVersion {
  readonly subject: string;
  readonly id: number;
  readonly version: number;
  readonly schema: AvroRecord;
}

export interface SchemaRegistry {
  /** The base URL without credentials, for logs. */
  readonly url: string;
  /** The schema registered under a global id; cached for the life of the client (ids are immutable). */
  schemaById(id: number): Promise<AvroType>;
  /** The version of `subject` equal to `schema`, if any. */
  lookup(subject: string, schema: AvroType): Promise<{ id: number; version: number } | undefined>;
  latest(subject: string): Promise<SubjectVersion | undefined>;
  /** Registers (or finds) `schema` under `subject`; returns its id. 409 → IncompatibleSchemaError. */
  register(subject: string, schema: AvroType): Promise<number>;
  /** Messages explaining why `schema` is incompatible with the subject's latest version, or [] when compatible (or the subject is new). */
  incompatibilities(subject: string, schema: AvroType): Promise<string[]>;
  /** The subject's own compatibility level, or undefined when it has none (the global level applies). */
  getCompatibility(subject: string): Promise<CompatibilityLevel | undefined>;
  /** Returns false when the registry refuses to configure a subject that does not exist yet. */
  setCompatibility(subject: string, level: CompatibilityLevel): Promise<boolean>;
  /** Soft-deletes, then with `permanent` hard-deletes a subject (tests and tooling only). */
  deleteSubject(subject: string, permanent?: boolean): Promise<void>;
  close(): Promise<void>;
}

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown> | undefined;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export function createSchemaRegistry(options: SchemaRegistryOptions): SchemaRegistry {
  const parsed = new URL(options.url);
  const username = options.username ?? decodeURIComponent(parsed.username);
  const password = options.password ?? decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const base = parsed.toString().replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 15_000;
  const dispatcher: Dispatcher = new Agent({
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connections: 8,
    ...(options.tls === undefined
      ? {}
      : {
          connect: {
            ...readTlsMaterial('schemaRegistry.tls', options.tls),
            rejectUnauthorized: options.tls.rejectUnauthorized ?? true,
          },
        }),
  });
  const headers: Record<string, string> = { 'content-type': CONTENT_TYPE, accept: `${CONTENT_TYPE}, application/json` };
  if (options.bearerToken !== undefined) headers.authorization = `Bearer ${options.bearerToken}`;
  else if (username !== '')
    headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const byId = new Map<number, Promise<AvroType>>();
  let closing: Promise<void> | undefined;

  async function call(
    method: Dispatcher.HttpMethod,
    path: string,
    subject: string | undefined,
    body?: unknown,
  ): Promise<Reply> {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher,
      });
    } catch (error) {
      throw unreachable(error, `${method} ${path}`, subject);
    }
    const text = await response.body.text();
    let parsedBody: Record<string, unknown> | undefined;
    try {
      parsedBody = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      parsedBody = { message: text.slice(0, 200) };
    }
    return { status: response.statusCode, body: parsedBody };
  }

  /** A network failure: retriable, unless TLS refused the server's certificate or the handshake (configuration). */
  function unreachable(error: unknown, what: string, subject: string | undefined): SchemaRegistryError {
    const code = tlsFailureCode(error);
    if (code !== undefined)
      return new SchemaRegistryError(
        `schema registry ${base} (${what}): TLS: ${isCertificateRefusal(code) ? "the server's certificate was refused" : 'the handshake failed'} (${code}); check schemaRegistry.tls and the URL's scheme`,
        { subject, retriable: false, cause: error },
      );
    return new SchemaRegistryError(`schema registry ${base} unreachable (${what}): ${(error as Error).message}`, {
      subject,
      retriable: true,
      cause: error,
    });
  }

  function failure(reply: Reply, what: string, subject: string | undefined): SchemaRegistryError {
    const message = typeof reply.body?.message === 'string' ? reply.body.message : 'no message';
    const errorCode = typeof reply.body?.error_code === 'number' ? reply.body.error_code : undefined;
    if (reply.status === 409) return new IncompatibleSchemaError(subject ?? '?', [message], 409);
    const retriable = reply.status >= 500 || reply.status === 429 || reply.status === 408;
    const hint =
      reply.status === 401 || reply.status === 403
        ? ' (check the registry credentials)'
        : reply.status === 422
          ? ' (invalid schema or request)'
          : '';
    return new SchemaRegistryError(
      `schema registry refused to ${what}: HTTP ${reply.status}${errorCode === undefined ? '' : ` error ${errorCode}`}: ${message}${hint}`,
      {
        status: reply.status,
        errorCode,
        subject,
        retriable,
      },
    );
  }

  const subjectPath = (subject: string): string => `/subjects/${encodeURIComponent(subject)}`;
  const parseSchema = (reply: Reply): AvroType => JSON.parse(String(reply.body?.schema)) as AvroType;

  return {
    url: base,

    schemaById(id) {
      let pending = byId.get(id);
      if (pending === undefined) {
        pending = call('GET', `/schemas/ids/${id}`, undefined).then((reply) => {
          if (reply.status !== 200) throw failure(reply, `return schema id ${id}`, undefined);
          return parseSchema(reply);
        });
        // A failed fetch must not poison the cache: the next decode tries again.
        pending.catch(() => byId.delete(id));
        byId.set(id, pending);
      }
      return pending;
    },

    async lookup(subject, schema) {
      const reply = await call('POST', subjectPath(subject), subject, { schema: JSON.stringify(schema) });
      if (reply.status === 404) return undefined;
      if (reply.status !== 200) throw failure(reply, `look up a schema in ${subject}`, subject);
      return { id: Number(reply.body?.id), version: Number(reply.body?.version) };
    },

    async latest(subject) {
      const reply = await call('GET', `${subjectPath(subject)}/versions/latest`, subject);
      if (reply.status === 404) return undefined;
      if (reply.status !== 200) throw failure(reply, `return the latest version of ${subject}`, subject);
      return {
        subject,
        id: Number(reply.body?.id),
        version: Number(reply.body?.version),
        schema: parseSchema(reply) as AvroRecord,
      };
    },

    async register(subject, schema) {
      const reply = await call('POST', `${subjectPath(subject)}/versions`, subject, { schema: JSON.stringify(schema) });
      if (reply.status !== 200) throw failure(reply, `register a schema under ${subject}`, subject);
      return Number(reply.body?.id);
    },

    async incompatibilities(subject, schema) {
      const reply = await call('POST', `/compatibility${subjectPath(subject)}/versions/latest?verbose=true`, subject, {
        schema: JSON.stringify(schema),
      });
      if (reply.status === 404) return [];
      if (reply.status !== 200) throw failure(reply, `check compatibility for ${subject}`, subject);
      if (reply.body?.is_compatible === true) return [];
      const messages = Array.isArray(reply.body?.messages) ? (reply.body.messages as unknown[]).map(String) : [];
      return messages.length > 0 ? messages : ['the registry gave no reason'];
    },

    async getCompatibility(subject) {
      const reply = await call('GET', `/config/${encodeURIComponent(subject)}`, subject);
      if (reply.status === 404) return undefined;
      if (reply.status !== 200) throw failure(reply, `return the compatibility of ${subject}`, subject);
      const level = reply.body?.compatibilityLevel ?? reply.body?.compatibility;
      return typeof level === 'string' ? (level.toUpperCase() as CompatibilityLevel) : undefined;
    },

    async setCompatibility(subject, level) {
      const reply = await call('PUT', `/config/${encodeURIComponent(subject)}`, subject, { compatibility: level });
      if (reply.status === 404) return false;
      if (reply.status !== 200) throw failure(reply, `set compatibility ${level} on ${subject}`, subject);
      return true;
    },

    async deleteSubject(subject, permanent = false) {
      const reply = await call('DELETE', `${subjectPath(subject)}${permanent ? '?permanent=true' : ''}`, subject);
      if (reply.status !== 200 && reply.status !== 404) throw failure(reply, `delete ${subject}`, subject);
    },

    // Idempotent like every other client's close: undici rejects a second close of its agent.
    close: () => (closing ??= dispatcher.close()),
  };
}

/** The Node code of a TLS failure (on the error or its cause, as undici may wrap it), if it is one. */
function tlsFailureCode(error: unknown): string | undefined {
  for (let at: unknown = error; at instanceof Error; at = at.cause) {
    const code = (at as NodeJS.ErrnoException).code;
    if (isCertificateRefusal(code) || (typeof code === 'string' && code.startsWith('ERR_SSL_'))) return code;
  }
  return undefined;
}

/**
 * Makes `schema` a version of `subject` under `level`, idempotently, and returns the version to
 * write with. The subject's level is set when it has none; a different existing level is an error
 * (CompatibilityLevelMismatchError), never silently changed. With `preferLatest`, a later version
 * already in the registry (e.g. evolved by drift in an earlier run) wins over the reviewed file.
 */
export async function ensureSubject(
  registry: SchemaRegistry,
  subject: string,
  schema: AvroRecord,
  level: CompatibilityLevel,
  options: { preferLatest?: boolean } = {},
): Promise<SubjectVersion> {
  const current = await registry.getCompatibility(subject);
  if (current !== undefined && current !== level) throw new CompatibilityLevelMismatchError(subject, current, level);
  // Set the level first where the registry allows it, so even version 1 is checked under it.
  const levelSet = current !== undefined || (await registry.setCompatibility(subject, level));

  let found = await registry.lookup(subject, schema);
  if (found === undefined) {
    const problems = await registry.incompatibilities(subject, schema);
    if (problems.length > 0) throw new IncompatibleSchemaError(subject, problems);
    await registry.register(subject, schema);
    found = await registry.lookup(subject, schema);
    if (found === undefined)
      throw new SchemaRegistryError(`schema registered under ${subject} but not found by lookup`, {
        subject,
        retriable: true,
      });
  }
  if (!levelSet) await registry.setCompatibility(subject, level);
  if (options.preferLatest) {
    const latest = await registry.latest(subject);
    if (latest !== undefined && latest.version > found.version) return latest;
  }
  return { subject, id: found.id, version: found.version, schema };
}

/** TopicNameStrategy subjects of a topic. */
export function subjectsOf(topic: string): { key: string; value: string } {
  return { key: `${topic}-key`, value: `${topic}-value` };
}

/** Registers a topic's key and value schemas under `<topic>-key` / `<topic>-value` with `level`. */
export async function ensureSubjects(
  registry: SchemaRegistry,
  topic: string,
  keySchema: AvroRecord,
  valueSchema: AvroRecord,
  level: CompatibilityLevel = DEFAULT_COMPATIBILITY,
): Promise<{ key: SubjectVersion; value: SubjectVersion }> {
  const subjects = subjectsOf(topic);
  const key = await ensureSubject(registry, subjects.key, keySchema, level);
  const value = await ensureSubject(registry, subjects.value, valueSchema, level, { preferLatest: true });
  return { key, value };
}
