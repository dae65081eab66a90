/**
 * The `duckdb` section of the configuration: owned by this destination, composed into the one
 * schema by common/config/schema.ts (same keys and defaults). Only zod here, so loading the
 * configuration never loads a destination's driver.
 */
import { z } from 'zod';

/** The DuckDB destination: one embedded database file, held open by one sink process at a time. */
export const duckdbSchema = z.strictObject({
  /** Database file; created with its folder on first use. Open it with the DuckDB CLI or Python while the sink is stopped. */
  path: z.string().min(1).default('data/bookeo.duckdb'),
  /** Schema inside the file for the resource tables. */
  schema: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a DuckDB schema name')
    .default('main'),
  /** DuckDB's own memory limit (its buffer manager runs inside the sink process); DuckDB's default is 80 % of RAM. */
  memoryLimit: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'a size such as 512MB or 2GiB')
    .default('512MB'),
});

export type DuckDBConfig = z.infer<typeof duckdbSchema>;
