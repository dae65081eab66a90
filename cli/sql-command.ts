/** `bookeo-connect sql "<query>"`: runs a query against the configured ClickHouse and prints a table. */
import { createClient } from '@clickhouse/client';
import type { Command } from 'commander';
import { loadConfig } from '../common/config/load.js';
import { runQuery } from '../demo/summary.js';
import { clickhouseClientOptions } from '../sinks/clickhouse/client-options.js';

export function registerSqlCommand(program: Command): void {
  program
    .command('sql')
    .description('Run a SQL query against clickhouse.url (default the local stack) and print the result')
    .argument('<query>', 'e.g. "SELECT count() FROM demo.bookings FINAL"')
    .option('-c, --config <file>', 'configuration file (JSON or YAML)')
    .action(async (query: string, options: { config?: string }) => {
      const config = loadConfig({ file: options.config });
      const client = createClient(clickhouseClientOptions(config.clickhouse));
      try {
        process.stdout.write(`${await runQuery(client, query)}\n`);
      } finally {
        await client.close();
      }
    });
}
