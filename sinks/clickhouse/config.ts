/**
 * The `clickhouse` section of the configuration: owned by this destination, composed into the one
 * schema by common/config/schema.ts (same keys and defaults). Only zod here, so loading the
 * configuration never loads a destination's driver. The cluster keys are optional, with their
 * defaults in layout.ts, so a section without them is exactly today's.
 */
import { z } from 'zod';
import { pemSchema, requireCertificateWithKey, requireHttpsForTls } from '../../common/tls.js';

/** The ClickHouse destination: any server reachable by URL, or a cluster of them. */
export const clickhouseSchema = z
  .strictObject({
    url: z.url().default('http://127.0.0.1:8123'),
    username: z.string().default('default'),
    password: z.string().default(''),
    database: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a ClickHouse database name')
      .default('bookeo'),
    requestTimeoutMs: z.number().int().positive().default(60_000),
    /** https:// with a private CA (required by the client when this section is set) and optionally a client certificate; PEM text or file paths. */
    tls: z
      .strictObject({ ca: pemSchema, cert: pemSchema.optional(), key: pemSchema.optional() })
      .superRefine(requireCertificateWithKey)
      .optional(),
    /** A cluster of remote_servers: every DDL runs ON CLUSTER and tables are ReplicatedReplacingMergeTree. Unset: one server (or ClickHouse Cloud). */
    cluster: z
      .string()
      .regex(/^[A-Za-z0-9_.{}-]+$/, 'a cluster name (letters, digits, _ . -) or a macro such as {cluster}')
      .optional(),
    /** With `cluster`: `<resource>_local` replicated tables on every shard and a Distributed table `<resource>` over them (default false). */
    distributed: z.boolean().optional(),
    /** With `cluster`: Keeper path of each replicated table (default `/clickhouse/tables/{shard}/{database}/{table}`). */
    zookeeperPath: z.string().min(1).optional(),
    /** With `cluster`: replica name (default `{replica}`). */
    replicaName: z.string().min(1).optional(),
    /** With `cluster`: `insert_quorum` of every insert (replicas that must confirm it), a number or `auto` (a majority). */
    insertQuorum: z.union([z.number().int().min(2), z.literal('auto')]).optional(),
  })
  .superRefine((section, context) => {
    requireHttpsForTls('clickhouse', section.url, section.tls, context);
    if (section.cluster !== undefined) return;
    for (const key of ['distributed', 'zookeeperPath', 'replicaName', 'insertQuorum'] as const)
      if (section[key] !== undefined)
        // The key's own value as what was found: the default would be the whole section, password included.
        context.addIssue({
          code: 'custom',
          path: [key],
          message: 'clickhouse.cluster to be set (a cluster-only key)',
          input: section[key],
        });
  });

export type ClickHouseConfig = z.infer<typeof clickhouseSchema>;
