/**
 * The `postgres` section of the configuration: owned by this destination, composed into the one
 * schema by common/config/schema.ts (same keys and defaults). Only zod here, so loading the
 * configuration never loads a destination's driver.
 */
import { z } from 'zod';
import { pemSchema, requireCertificateWithKey } from '../../common/tls.js';

/** The PostgreSQL destination: any server by connection string (TLS via `sslmode` or the `ssl` keys). */
export const postgresSchema = z.strictObject({
  /** `postgres://user@host:port/database`; keep the password in `password` (masked everywhere), not in the URL. */
  connectionString: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// connection string')
    .default('postgres://bookeo@127.0.0.1:5432/bookeo'),
  password: z.string().optional(),
  /** Schema (namespace) for the resource tables; created when missing unless the sink runs in freeze mode. */
  schema: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a PostgreSQL schema name')
    .default('bookeo'),
  ssl: z
    .strictObject({
      rejectUnauthorized: z.boolean().default(true),
      /** The CA to trust, for servers with a private CA: PEM text or a file path. */
      ca: pemSchema.optional(),
      /** Client certificate and its key (servers that authenticate by certificate, `hostssl … cert`): PEM text or file paths. */
      cert: pemSchema.optional(),
      key: pemSchema.optional(),
    })
    .superRefine(requireCertificateWithKey)
    .optional(),
  requestTimeoutMs: z.number().int().positive().default(60_000),
  /** Connections in the pool (batches of different tables write at once). */
  poolSize: z.number().int().min(1).max(64).default(4),
});

export type PostgresConfig = z.infer<typeof postgresSchema>;
