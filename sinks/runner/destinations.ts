/**
 * Every destination the sink can load, in ONE explicit map (no import-time self-registration):
 * what `bookeo-connect sink <destination>` accepts is visible here. Each destination's module is
 * imported when that destination is used, so a ClickHouse sink (or the source, or `--help`) never
 * loads DuckDB's native engine or the PostgreSQL driver.
 */
import type { AppConfig } from '../../common/config/schema.js';
import { ConfigError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Destination } from '../destination.js';

export type DestinationFactory = (config: AppConfig, logger: Logger) => Destination;

export const DESTINATIONS: Readonly<Record<string, () => Promise<DestinationFactory>>> = Object.freeze({
  clickhouse: async () => {
    const { createClickHouseDestination } = await import('../clickhouse/destination.js');
    return (config, logger) =>
      createClickHouseDestination({ connection: config.clickhouse, mode: config.sink.mode, logger });
  },
  duckdb: async () => {
    const { createDuckDBDestination } = await import('../duckdb/destination.js');
    return (config, logger) => createDuckDBDestination({ connection: config.duckdb, mode: config.sink.mode, logger });
  },
  postgres: async () => {
    const { createPostgresDestination } = await import('../postgres/destination.js');
    return (config, logger) =>
      createPostgresDestination({ connection: config.postgres, mode: config.sink.mode, logger });
  },
});

/** Throws a ConfigError unless `name` is a destination (call before starting anything). */
export function checkDestination(name: string): void {
  if (!Object.hasOwn(DESTINATIONS, name))
    throw new ConfigError(
      [{ key: 'destination', expected: `one of ${Object.keys(DESTINATIONS).join(', ')}`, found: JSON.stringify(name) }],
      'command line',
    );
}

export async function destinationFactory(name: string): Promise<DestinationFactory> {
  checkDestination(name);
  return (DESTINATIONS[name] as () => Promise<DestinationFactory>)();
}
