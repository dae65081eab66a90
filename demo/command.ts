/** `bookeo-connect demo` (npm run demo): the whole pipeline locally, see run-demo.ts. */
import type { Command } from 'commander';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Start the local stack, a simulated Bookeo account, the source and a ClickHouse sink; backfill, summarise, then stay live until Ctrl-C',
    )
    .option(
      '-c, --config <file>',
      'configuration file; with bookeo.secretKey and accounts set, real Bookeo is used instead of the simulator',
    )
    .option('--scale <bookings>', 'bookings in the simulated account', (value) => Number.parseInt(value, 10), 20_000)
    .option('--once', 'exit after the summary instead of staying live')
    .action(async (options: { config?: string; scale: number; once?: boolean }) => {
      // Imported when run: the demo pulls in the stack, the simulator and every part of the pipeline.
      const { runDemo } = await import('./run-demo.js');
      await runDemo({ config: options.config, scale: options.scale, once: options.once === true });
    });
}
