/**
 * The `clickhouse` section of the configuration: owned by this destination, composed into the one
 * schema by common/config/schema.ts (same keys and defaults). Only zod here, so loading the
 * configuration never loads a destination's driver.
 */
import { z } from 'zod';

/** The ClickHouse destination: any server reachable by URL. */
export const clickhouseSchema = z.strictObject({
  url: z.url().default('http://127.0.0.1:8123'),
  username: z.string().default('default'),
  password: z.string().default(''),
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a ClickHouse database name')
    .default('bookeo'),
  requestTimeoutMs: z.number().int().positive().default(60_000),
});

export type ClickHouseConfig = z.infer<typeof clickhouseSchema>;
