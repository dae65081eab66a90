/** `bookeo-connect simulator`: runs the Bookeo simulator until SIGINT/SIGTERM. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { SimulatorOptions } from './index.js';

interface SimulatorCliOptions {
  port: string;
  host: string;
  seed: string;
  scale: string;
  accounts: string;
  secretKey?: string;
  clock: 'virtual' | 'real';
  now?: string;
  historyDays: string;
  tokenTtl: string;
  mutationRate?: string;
  tickMs: string;
  speed: string;
}

function integer(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

/** `--accounts 3` → demo-api-key, demo-api-key-2, demo-api-key-3; `--accounts a,b` → those apiKeys. */
function parseAccounts(value: string): { apiKey: string }[] {
  if (/^\d+$/.test(value)) {
    const count = integer('--accounts', value, 1);
    return Array.from({ length: count }, (_, i) => ({ apiKey: i === 0 ? 'demo-api-key' : `demo-api-key-${i + 1}` }));
  }
  return value
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean)
    .map((apiKey) => ({ apiKey }));
}

export function registerSimulatorCommand(program: Command): void {
  program
    .command('simulator')
    .description(
      'Run the Bookeo API simulator (a deterministic, seeded stand-in for api.bookeo.com/v2) with its /_admin API',
    )
    .option('--port <port>', 'TCP port (0 = any free port)', '8089')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--seed <seed>', 'seed of the generated data', '1')
    .option('--scale <bookings>', 'bookings per account (customers ≈ scale / 5)', '2000')
    .option('--accounts <countOrKeys>', 'number of accounts, or a comma-separated list of apiKeys', '1')
    .option('--secret-key <key>', 'the secretKey clients must send (default: the demo key demo-secret-key)')
    .option('--clock <mode>', 'virtual (moves by --speed on every tick, or via /_admin/clock/advance) or real', 'real')
    .option('--now <iso>', 'start of the clock (default: now for a real clock, 2026-06-01T00:00:00Z for a virtual one)')
    .option('--history-days <days>', 'how far back the generated history goes', '365')
    .option('--token-ttl <seconds>', 'lifetime of page navigation tokens', '1800')
    .option(
      '--mutation-rate <perMinute>',
      'mutations per simulated minute, all kinds together (default: the history’s own pace)',
    )
    .option('--tick-ms <ms>', 'how often mutations are applied (0 = only via /_admin/tick)', '1000')
    .option('--speed <factor>', 'virtual clock: simulated seconds per real second', '60')
    .action(async (raw: SimulatorCliOptions) => {
      if (raw.clock !== 'virtual' && raw.clock !== 'real')
        throw new InvalidArgumentError(`--clock must be virtual or real, got "${String(raw.clock)}"`);
      const tickMs = integer('--tick-ms', raw.tickMs, 0);
      const options: SimulatorOptions = {
        port: integer('--port', raw.port, 0),
        host: raw.host,
        seed: integer('--seed', raw.seed, 0),
        scale: integer('--scale', raw.scale, 1),
        accounts: parseAccounts(raw.accounts),
        clock: raw.clock,
        historyDays: integer('--history-days', raw.historyDays, 1),
        tokenTtlSeconds: integer('--token-ttl', raw.tokenTtl, 0),
      };
      if (raw.secretKey !== undefined) options.secretKey = raw.secretKey;
      if (raw.now !== undefined) options.now = raw.now;
      if (raw.mutationRate !== undefined) options.mutationRate = Number(raw.mutationRate);
      if (tickMs > 0) options.autoTick = { intervalMs: tickMs, speed: Number(raw.speed) };
      const started = performance.now();
      // Imported when run: the simulator's data generator is not needed by any other command.
      const { startSimulator } = await import('./index.js');
      const sim = await startSimulator(options);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const rss = Math.round(process.memoryUsage().rss / 1e6);
      const out = process.stdout;
      out.write(`Bookeo simulator ready in ${seconds} s (RSS ${rss} MB)\n`);
      out.write(
        `  API:    ${sim.url}\n  admin:  ${sim.adminUrl}\n  clock:  ${raw.clock}, now ${sim.admin.now().toISOString()}\n`,
      );
      out.write(`  secretKey (simulator demo key): ${sim.secretKey}\n`);
      for (const account of sim.admin.accounts()) {
        out.write(
          `  apiKey ${account.apiKey}: ${account.name} (${account.timezone}, ${account.currency}) — ${account.counts.bookings} bookings, ${account.counts.customers} customers, ${account.counts.payments} payments\n`,
        );
      }
      out.write(
        `  try: curl -H 'X-Bookeo-secretKey: ${sim.secretKey}' -H 'X-Bookeo-apiKey: ${sim.apiKeys[0] ?? ''}' '${sim.url}/settings/products'\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          out.write(`simulator: ${signal}, closing\n`);
          resolve();
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      await sim.close();
    });
}
