/**
 * The `duckdb` section of the configuration: owned by this destination, composed into the one
 * schema by common/config/schema.ts (same keys and defaults). Only zod here, so loading the
 * configuration never loads a destination's driver.
 */
import { z } from 'zod';

const size = z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'a size such as 512MB or 2GiB');

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
  memoryLimit: size.default('512MB'),
  /**
   * Write-ahead log size that triggers a checkpoint (writing what the log holds, indexes included,
   * into the file). DuckDB's default (16MB) checkpoints every batch or two, which made a load
   * several times slower (docs/destinations.md); a larger one costs WAL on disk and replay time
   * when the file is next opened.
   */
  checkpointThreshold: size.default('256MB'),
});

export type DuckDBConfig = z.infer<typeof duckdbSchema>;
