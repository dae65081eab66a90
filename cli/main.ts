#!/usr/bin/env node
/**
 * The `bookeo-connect` command line. Each command lives in its own module and is wired here in one
 * explicit list, so what the binary can do is visible in one place.
 */
import { Command } from 'commander';
import { packageVersion } from '../common/version.js';
import { registerConfigCommand } from './config-command.js';
import { runCommand } from './run-command.js';
import { registerStackCommand } from '../deploy/stack/command.js';
import { registerSimulatorCommand } from '../simulator/command.js';
import { registerSourceCommand } from '../connector/source/command.js';
import { registerSinkCommands } from '../sinks/runner/command.js';
import { registerDlqCommand } from '../sinks/dlq/command.js';
import { registerDemoCommand } from '../demo/command.js';
import { registerSqlCommand } from './sql-command.js';
import { registerRunCommand } from '../pipeline/command.js';
import { registerReconcileCommand } from '../reconcile/command.js';

const program = new Command()
  .name('bookeo-connect')
  .description('Bookeo → Kafka (Avro, Schema Registry, exactly-once) → ClickHouse / DuckDB / PostgreSQL')
  .version(packageVersion())
  .showHelpAfterError()
  .enablePositionalOptions();

registerConfigCommand(program);
registerStackCommand(program);
registerSimulatorCommand(program);
registerSourceCommand(program);
registerSinkCommands(program);
registerRunCommand(program);
registerReconcileCommand(program);
registerDlqCommand(program);
registerDemoCommand(program);
registerSqlCommand(program);

await runCommand(() => program.parseAsync(process.argv));
