/**
 * Every destination the sink can load, in ONE explicit map (no import-time self-registration):
 * what `bookeo-connect sink <destination>` accepts is visible here.
 */
import type { AppConfig } from '../../common/config/schema.js';
import { ConfigError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { createClickHouseDestination } from '../clickhouse/destination.js';
import type { Destination } from '../destination.js';
import { createDuckDBDestination } from '../duckdb/destination.js';
import { createPostgresDestination } from '../postgres/destination.js';

export type DestinationFactory = (config: AppConfig, logger: Logger) => Destination;

export const DESTINATIONS: Readonly<Record<string, DestinationFactory>> = Object.freeze({
  clickhouse: (config, logger) => createClickHouseDestination({ connection: config.clickhouse, mode: config.sink.mode, logger }),
  duckdb: (config, logger) => createDuckDBDestination({ connection: config.duckdb, mode: config.sink.mode, logger }),
  postgres: (config, logger) => createPostgresDestination({ connection: config.postgres, mode: config.sink.mode, logger }),
});

export function destinationFactory(name: string): DestinationFactory {
  const factory = DESTINATIONS[name];
  if (factory === undefined) throw new ConfigError([{ key: 'destination', expected: `one of ${Object.keys(DESTINATIONS).join(', ')}`, found: JSON.stringify(name) }], 'command line');
  return factory;
}
