/**
 * The one configuration schema shared by every command. Sections have defaults so that a command
 * validates only what it needs (see `requireSections` in load.ts); unknown keys are errors, so a
 * typo never silently falls back to a default.
 */
import { z } from 'zod';
import { unauthenticatedExposure } from '../ops-access.js';
import { DEFAULT_SOURCE_DEAD_LETTER_TOPIC } from '../../contract/dead-letter-topics.js';
import { requireCertificateWithKey, requireHttpsForTls, tlsSchema } from '../tls.js';
import { RESOURCE_NAMES, type ResourceName } from '../../contract/resources.js';
import { clickhouseSchema } from '../../sinks/clickhouse/config.js';
import { duckdbSchema } from '../../sinks/duckdb/config.js';
import { postgresSchema } from '../../sinks/postgres/config.js';
import { webhooksSchema } from '../../connector/source/webhooks/config.js';

/** Accepts a JSON array or a comma-separated string (convenient in environment variables). */
const stringList = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)
      : value,
  z.array(z.string().min(1)).min(1),
);

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

export const logSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `auto`: pretty on a terminal, JSON otherwise. */
  format: z.enum(['auto', 'json', 'pretty']).default('auto'),
});

export const bookeoAccountSchema = z.strictObject({
  /** Stable name of the account inside this deployment; part of every record key. */
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an account id of letters, digits, _ or - (1-64 chars)'),
  apiKey: z.string().min(1),
  enabled: z.boolean().default(true),
});

export const bookeoSchema = z.strictObject({
  baseUrl: z.url().default('https://api.bookeo.com/v2'),
  /** The application's secret key (one per app, shared by all accounts). */
  secretKey: z.string().min(1).optional(),
  accounts: z.array(bookeoAccountSchema).default([]),
  /** Rate budget per account, shared by all its resources. */
  requestsPerSecond: z.number().positive().max(1000).default(5),
  maxConcurrency: z.number().int().min(1).max(64).default(4),
  connectTimeoutMs: z.number().int().positive().default(10_000),
  requestTimeoutMs: z.number().int().positive().default(60_000),
  retries: z.number().int().min(0).max(50).default(8),
});

/** A PEM value: the PEM text itself (starts with `-----BEGIN`) or the path of a file holding it. */
const pemValue = z.string().min(1, 'a PEM text or the path of a PEM file');

/** TLS to the brokers (kafka/security.ts turns it into the client's options; files are read there). */
export const kafkaTlsSchema = z
  .strictObject({
    /** CA certificate(s) the brokers' certificates are checked against; default: the system's CAs. */
    ca: pemValue.optional(),
    /** Client certificate (mTLS); needs `privateKey`. */
    certificate: pemValue.optional(),
    /** The client certificate's private key (mTLS); needs `certificate`. */
    privateKey: pemValue.optional(),
    /** Passphrase of an encrypted `privateKey`. */
    passphrase: z.string().min(1).optional(),
    /** Host name checked against the brokers' certificates (and sent as SNI) instead of the broker address. */
    servername: z.string().min(1).optional(),
    /** `false` accepts any broker certificate: for a test cluster only, never in production. */
    rejectUnauthorized: z.boolean().default(true),
  })
  .superRefine((tls, context) => requireCertificateWithKey(tls, context, { cert: 'certificate', key: 'privateKey' }));

/** `true` is TLS with the defaults, `false` no TLS (both as before); an object is TLS with those options. */
const kafkaSslSchema = z.preprocess(
  (value) => (value === true ? {} : value === false ? undefined : value),
  kafkaTlsSchema.optional().transform((tls) => tls ?? false),
);

/** SASL/OAUTHBEARER with tokens from an OIDC provider (client-credentials grant; kafka/oauth-token-provider.ts). */
export const kafkaOAuthBearerSchema = z.strictObject({
  /** The provider's token endpoint, e.g. https://idp.example.com/realms/kafka/protocol/openid-connect/token */
  tokenEndpointUrl: z.url(),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  /** Space-separated scopes to ask for; none by default. */
  scope: z.string().min(1).optional(),
  /** SASL extensions sent with the token (e.g. Confluent Cloud's logicalCluster and identityPoolId). */
  extensions: z
    .record(z.string().regex(/^[A-Za-z]+$/, 'an extension name of letters'), z.string().min(1))
    .refine((extensions) => !('auth' in extensions), 'no extension named auth (reserved)')
    .optional(),
});

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'] as const;

/**
 * One object for every mechanism (not a union, so an error names the key at fault and never
 * echoes the section): username and password for plain and SCRAM, `oauthbearer` for OAUTHBEARER.
 */
export const kafkaSaslSchema = z
  .strictObject({
    mechanism: z.enum(SASL_MECHANISMS),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    oauthbearer: kafkaOAuthBearerSchema.optional(),
  })
  .superRefine((sasl, context) => {
    const oauth = sasl.mechanism === 'oauthbearer';
    const fields = oauth ? (['oauthbearer'] as const) : (['username', 'password'] as const);
    const others = oauth ? (['username', 'password'] as const) : (['oauthbearer'] as const);
    for (const field of fields)
      if (sasl[field] === undefined)
        context.addIssue({
          code: 'custom',
          path: [field],
          message: `required with mechanism ${sasl.mechanism}`,
          input: undefined,
        });
    for (const field of others)
      if (sasl[field] !== undefined)
        context.addIssue({
          code: 'custom',
          path: [field],
          message: `not used with mechanism ${sasl.mechanism}`,
          // The value itself: configuration errors mask it by its key (a password shows as ***).
          input: sasl[field],
        });
  });

/** Kafka topic configs (name → value, as kafka-configs takes them) for one class of topic; merged over the defaults of kafka/topic-configs.ts. */
const topicConfigMap = z
  .record(z.string().regex(/^[a-z0-9.]+$/, 'a Kafka topic config name'), z.string())
  .refine(
    (configs) => !('cleanup.policy' in configs),
    'cleanup.policy is set by the topic class (compact, or delete for dead letters)',
  )
  .default({});

/** Configs of the topics the project creates, per class; existing topics are checked, never altered. */
export const topicConfigsSchema = z.strictObject({
  /** The resource topics (compacted). */
  data: topicConfigMap,
  /** The source's offsets topic (compacted). */
  offsets: topicConfigMap,
  /** The source's and the sinks' dead-letter topics. */
  deadLetter: topicConfigMap,
});

export const kafkaSchema = z.strictObject({
  brokers: stringList.default(['127.0.0.1:9092']),
  clientId: z.string().min(1).default('bookeo-connect'),
  /** Topics are `<topicPrefix>.<resource>`. */
  topicPrefix: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'a Kafka topic name prefix')
    .default('bookeo'),
  partitions: z.number().int().min(1).max(1000).default(3),
  /** Unset: the defaults of kafka/topic-configs.ts for every class. */
  topicConfigs: topicConfigsSchema.optional(),
  replicationFactor: z.number().int().min(1).max(10).default(1),
  /** `false` (default), `true` (TLS trusting the system's CAs), or the TLS options below (TLS on). */
  ssl: kafkaSslSchema.default(false),
  sasl: kafkaSaslSchema.optional(),
});

export const schemaRegistrySchema = z
  .strictObject({
    url: z.url().default('http://127.0.0.1:8081/apis/ccompat/v7'),
    username: z.string().optional(),
    password: z.string().optional(),
    /** Sent as `Authorization: Bearer <token>`: instead of username/password (both is an error). */
    bearerToken: z.string().min(1).optional(),
    /** An https:// registry with a private CA or mutual TLS; values are PEM text or file paths. */
    tls: tlsSchema.optional(),
    compatibility: z
      .enum(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE'])
      .default('BACKWARD'),
  })
  .superRefine((registry, context) => {
    const urlUser = URL.canParse(registry.url) && new URL(registry.url).username !== '';
    if (registry.bearerToken !== undefined && (registry.username !== undefined || urlUser))
      // Reported on bearerToken, a secret key, so the error shows no value.
      context.addIssue({
        code: 'custom',
        path: ['bearerToken'],
        message: 'either bearerToken or username/password (in the keys or the URL), not both',
        input: undefined,
      });
    requireHttpsForTls('schemaRegistry', registry.url, registry.tls, context);
  });

export const httpSchema = z
  .strictObject({
    host: z.string().default('127.0.0.1'),
    /** 0 picks a free port (tests). */
    port: z.number().int().min(0).max(65535).default(8083),
    /** When set, the REST API (not /healthz, /readyz, /metrics) requires `Authorization: Bearer <token>`. Required when `host` is not loopback. */
    bearerToken: z.string().min(16).optional(),
    /** Opt-out of that requirement (a network protected otherwise); logged as a warning at start. */
    allowUnauthenticated: z.boolean().default(false),
  })
  .superRefine((http, context) => {
    const problem = unauthenticatedExposure(http);
    if (problem !== undefined)
      context.addIssue({ code: 'custom', path: ['bearerToken'], message: problem, input: http.bearerToken });
  });

export const sourceSchema = z.strictObject({
  /** Where the first backfill of windowed resources starts. */
  backfillFrom: isoDate.default('2024-01-01'),
  /** The upper bound of a window is now minus this lag, so late writes at Bookeo are not missed. */
  safetyLagSeconds: z.number().int().min(0).default(60),
  /** Each poll re-reads this much before the saved cursor (dedup keeps it from re-emitting). */
  lookbackSeconds: z.number().int().min(0).default(300),
  pollIntervalSeconds: z.number().int().min(1).default(60),
  /** Full listing period for resources without an updated-since filter (customers, settings, webhooks). */
  snapshotIntervalSeconds: z.number().int().min(10).default(3600),
  /** Windows fetched at once during a backfill (bounded by the account's rate budget anyway). */
  parallelWindows: z.number().int().min(1).max(32).default(4),
  /** Period of the re-listing that finds hard-deleted bookings/payments (invisible to polling); 0 disables it. */
  sweepIntervalSeconds: z.number().int().min(0).default(86_400),
  /** A window holding more items is split by time, so one transaction (and the memory it needs) stays bounded. */
  maxRecordsPerTransaction: z.number().int().min(100).max(100_000).default(5000),
  offsetsTopic: z.string().min(1).default('bookeo-connect.offsets'),
  deadLetterTopic: z.string().min(1).default(DEFAULT_SOURCE_DEAD_LETTER_TOPIC),
  resources: stringList.optional(),
  /** /readyz turns false once a resource has been failing (no successful poll) for longer than this. */
  unhealthyAfterSeconds: z.number().int().min(1).default(300),
});

/** The sink runner: one consumer group per sink instance, deterministic per-partition batches. */
export const sinkBatchSchema = z.strictObject({
  /**
   * Kafka records per batch (per topic-partition); also the deterministic cut that dedup tokens rely on.
   * Queued batches hold raw Kafka bytes and are decoded when written, so this bounds the sink's
   * memory (its measured effect: docs/configuration.md).
   */
  maxRows: z.number().int().min(1).max(1_000_000).default(10_000),
  /** Key+value bytes per batch (per topic-partition); a deterministic cut as well. */
  maxBytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 ** 3)
    .default(64 * 1024 * 1024),
  /** A batch older than this is cut early; its boundary is recorded in the commit metadata first, so a re-delivery cuts at the same place. */
  maxAgeMs: z.number().int().min(10).max(300_000).default(5_000),
});

/** Per-resource drift control (sinks/runner/drift-policy.ts): how many drift-added fields a table takes. */
export const sinkDriftSchema = z.strictObject({
  /** For every resource: the first N fields drift added get columns, the rest stay unloaded; unset: all. */
  maxNewFields: z.number().int().min(0).optional(),
  /** Per resource (its name, e.g. `bookings`): its own cap, or `freeze: true` (a cap of zero). */
  resources: z
    .partialRecord(
      z.enum(RESOURCE_NAMES as [ResourceName, ...ResourceName[]]),
      z.strictObject({ maxNewFields: z.number().int().min(0).optional(), freeze: z.boolean().optional() }),
    )
    .default({}),
});

export const sinkSchema = z.strictObject({
  /** Consumer group; default `bookeo-connect-sink-<kafka.topicPrefix>-<destination>` (contract/group-id.ts). Two sinks with different groups each receive everything. */
  groupId: z.string().min(1).optional(),
  /** Resources to load (topics `<kafka.topicPrefix>.<resource>`); default: every resource topic that exists. */
  resources: stringList.optional(),
  batch: sinkBatchSchema.default(sinkBatchSchema.parse({})),
  /** Batches written at once, across tables and partitions (one at a time per partition, to keep order). */
  concurrency: z.number().int().min(1).max(64).default(4),
  /** `evolve`: the destination adds columns for new schema versions; `freeze`: a new version stops the sink (the table is not changed), it is not a record error. */
  mode: z.enum(['evolve', 'freeze']).default('evolve'),
  /** Dead-letter topic; default `bookeo-connect.dlq.sink-<destination>` (contract/dead-letter-topics.ts). */
  deadLetterTopic: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'a Kafka topic name')
    .optional(),
  /** How long SIGTERM may spend flushing and committing before giving up (nothing is committed for what did not finish). */
  shutdownTimeoutMs: z.number().int().min(1_000).default(30_000),
  /** How long a running sink keeps retrying Kafka (offset commits, rejoining the group) after losing it, before it stops and exits non-zero. */
  kafkaOutageTimeoutSeconds: z.number().int().min(1).default(300),
  /** A resource whose last this many records all went to the dead-letter topic turns /readyz false and its gauge to 1, until one of its records is written again. */
  deadLetterAlarm: z.number().int().min(1).default(20),
  /** Per-resource cap on drift-added columns (`sink.mode` stays the global evolve/freeze switch). */
  drift: sinkDriftSchema.default(sinkDriftSchema.parse({})),
});

/** Every long-running command: dependencies unreachable at start are waited for, with back-off, this long. */
export const startupSchema = z.strictObject({
  /** Kafka, the registry and (for a sink) the resource topics are retried this long at start (/readyz says which is awaited), then the process exits non-zero. */
  timeoutSeconds: z.number().int().min(0).default(300),
});

export const configSchema = z.strictObject({
  log: logSchema.default(logSchema.parse({})),
  bookeo: bookeoSchema.default(bookeoSchema.parse({})),
  kafka: kafkaSchema.default(kafkaSchema.parse({})),
  schemaRegistry: schemaRegistrySchema.default(schemaRegistrySchema.parse({})),
  http: httpSchema.default(httpSchema.parse({})),
  // Each destination owns its section (its config.ts); composed here under the same keys.
  clickhouse: clickhouseSchema.default(clickhouseSchema.parse({})),
  duckdb: duckdbSchema.default(duckdbSchema.parse({})),
  postgres: postgresSchema.default(postgresSchema.parse({})),
  source: sourceSchema.default(sourceSchema.parse({})),
  webhooks: webhooksSchema.default(webhooksSchema.parse({})),
  sink: sinkSchema.default(sinkSchema.parse({})),
  startup: startupSchema.default(startupSchema.parse({})),
});

export type AppConfig = z.infer<typeof configSchema>;
export type BookeoAccountConfig = z.infer<typeof bookeoAccountSchema>;
export type KafkaTlsConfig = z.infer<typeof kafkaTlsSchema>;
export type KafkaSaslConfig = z.infer<typeof kafkaSaslSchema>;
export type KafkaOAuthBearerConfig = z.infer<typeof kafkaOAuthBearerSchema>;
