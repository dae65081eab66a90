/** `bookeo-connect demo` (npm run demo): the whole pipeline locally, see run-demo.ts. */
import type { Command } from 'commander';
import { runDemo } from './run-demo.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Start the local stack, a simulated Bookeo account, the source and a ClickHouse sink; backfill, summarise, then stay live until Ctrl-C')
    .option('-c, --config <file>', 'configuration file; with bookeo.secretKey and accounts set, real Bookeo is used instead of the simulator')
    .option('--scale <bookings>', 'bookings in the simulated account', (value) => Number.parseInt(value, 10), 20_000)
    .option('--once', 'exit after the summary instead of staying live')
    .action((options: { config?: string; scale: number; once?: boolean }) => runDemo({ config: options.config, scale: options.scale, once: options.once === true }));
}
