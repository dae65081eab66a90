/**
 * The `bookeo-connect` command line. Each command lives in its own module and is wired here in one
 * explicit list, so what the binary can do is visible in one place: the production commands, then
 * the development tools (help shows them apart).
 */
import { Command } from 'commander';
import { packageVersion } from '../common/version.js';
import { registerConfigCommand } from './config-command.js';
import { registerStackCommand } from '../deploy/stack/command.js';
import { registerSimulatorCommand } from '../simulator/command.js';
import { registerSinkCommands } from '../sinks/runner/command.js';
import { registerAppCommands } from '../app/commands.js';
import { registerDlqCommand } from '../sinks/dlq/command.js';
import { registerDemoCommand } from '../demo/command.js';
import { registerSqlCommand } from './sql-command.js';
import { registerReconcileCommand } from '../reconcile/command.js';
import { registerWebhooksCommand } from '../connector/source/webhooks/command.js';

export function buildProgram(): Command {
  const program = new Command()
    .name('bookeo-connect')
    .description('Bookeo → Kafka (Avro, Schema Registry, exactly-once) → ClickHouse / DuckDB / PostgreSQL')
    .version(packageVersion())
    .showHelpAfterError()
    .enablePositionalOptions();

  program.commandsGroup('Commands:');
  registerAppCommands(program, registerSinkCommands);
  registerReconcileCommand(program);
  registerWebhooksCommand(program);
  registerDlqCommand(program);
  registerConfigCommand(program);
  registerSqlCommand(program);

  // Local development only: a production deployment never runs them.
  program.commandsGroup('Development (local stack, Bookeo simulator, demo):');
  registerStackCommand(program);
  registerSimulatorCommand(program);
  registerDemoCommand(program);
  return program;
}
