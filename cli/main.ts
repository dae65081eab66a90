#!/usr/bin/env node
/**
 * The `bookeo-connect` command line. Each command lives in its own module and is wired here in one
 * explicit list, so what the binary can do is visible in one place.
 */
import { Command } from 'commander';
import { registerConfigCommand } from './config-command.js';
import { runCommand } from './run-command.js';

const program = new Command()
  .name('bookeo-connect')
  .description('Bookeo → Kafka (Avro, Schema Registry, exactly-once) → ClickHouse / DuckDB / PostgreSQL')
  .version('0.1.0')
  .showHelpAfterError()
  .enablePositionalOptions();

registerConfigCommand(program);

await runCommand(() => program.parseAsync(process.argv));
