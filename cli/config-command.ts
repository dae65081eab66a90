/** `bookeo-connect config check|show`: validate a configuration, or print it with secrets masked. */
import type { Command } from 'commander';
import { loadConfig } from '../common/config/load.js';
import { maskSecrets } from '../common/secrets.js';

export function registerConfigCommand(program: Command): void {
  const config = program
    .command('config')
    .description('Validate or show the effective configuration (file + environment)');
  config
    .command('check')
    .description('Validate the configuration; lists every problem and exits 2 when there is one')
    .option('-c, --config <file>', 'configuration file (JSON or YAML)')
    .action((options: { config?: string }) => {
      loadConfig({ file: options.config });
      process.stdout.write('configuration is valid\n');
    });
  config
    .command('show')
    .description('Print the effective configuration as JSON, secrets masked')
    .option('-c, --config <file>', 'configuration file (JSON or YAML)')
    .action((options: { config?: string }) => {
      process.stdout.write(`${JSON.stringify(maskSecrets(loadConfig({ file: options.config })), null, 2)}\n`);
    });
}
