/** `bookeo-connect stack up|down|restart|status|logs`: the local Kafka + Schema Registry + ClickHouse + PostgreSQL. */
import { Argument, type Command } from 'commander';
import { ConnectError } from '../../common/errors.js';
import { stackEndpoints } from './endpoints.js';
import { ServiceFailedError } from './errors.js';
import { tailFile } from './processes.js';
import { servicePaths } from './service.js';
import {
  createStackContext,
  downStack,
  restartStack,
  SERVICE_NAMES,
  stackStatus,
  upStack,
  type ServiceName,
  type ServiceStatus,
} from './stack.js';

function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n')}\n`;
}

function megabytes(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${Math.round(bytes / (1024 * 1024))} MB`;
}

function statusTable(statuses: readonly ServiceStatus[], withState: boolean): string {
  const header = withState
    ? ['service', 'state', 'version', 'address', 'pid', 'rss', 'log']
    : ['service', 'version', 'address', 'pid', 'log'];
  const rows = statuses.map((s) => {
    const common = [s.version ?? '-', s.address, s.pid === undefined ? '-' : String(s.pid)];
    return withState ? [s.name, s.state, ...common, megabytes(s.rssBytes), s.logFile] : [s.name, ...common, s.logFile];
  });
  return formatTable(header, rows);
}

/** A failed service is reported with the end of its log: the reason is almost always in there. */
function reportFailure(error: unknown): never {
  if (error instanceof ServiceFailedError && error.logTail !== '') {
    process.stderr.write(`--- last lines of the ${error.service} log ---\n${error.logTail}--- end of log ---\n`);
  }
  throw error;
}

export function registerStackCommand(program: Command): void {
  const stack = program
    .command('stack')
    .description(
      'Run the local stack (Kafka KRaft, Apicurio Schema Registry, ClickHouse engine over HTTP, PostgreSQL from the Debian packages) without Docker',
    )
    .addHelpText(
      'after',
      '\nDownloads go to $BOOKEO_STACK_CACHE (default ~/.cache/bookeo-connect); PID files, logs and data to $BOOKEO_STACK_STATE (default <cache>/stack).\nPorts: BOOKEO_STACK_KAFKA_PORT (9092), BOOKEO_STACK_KAFKA_CONTROLLER_PORT (9093),\nBOOKEO_STACK_KAFKA_SSL_PORT (9094), BOOKEO_STACK_KAFKA_MTLS_PORT (9095), BOOKEO_STACK_KAFKA_SCRAM_PORT (9096), BOOKEO_STACK_KAFKA_OAUTH_PORT (9097),\nBOOKEO_STACK_REGISTRY_PORT (8081), BOOKEO_STACK_REGISTRY_MANAGEMENT_PORT (9001), BOOKEO_STACK_CLICKHOUSE_PORT (8123), BOOKEO_STACK_POSTGRES_PORT (5432).',
    );

  const services = (): Argument =>
    new Argument('[services...]', 'which services (default: all)').choices(SERVICE_NAMES);
  const named = (given: readonly ServiceName[]): readonly ServiceName[] => (given.length === 0 ? SERVICE_NAMES : given);

  stack
    .command('up')
    .description(
      'Install on first use, start the services (all, or those named and what they need) that are not running, wait until healthy, print where they listen',
    )
    .addArgument(services())
    .action(async (given: ServiceName[]) => {
      const result = await upStack(createStackContext(), named(given)).catch(reportFailure);
      process.stdout.write(statusTable(result.statuses, false));
    });

  stack
    .command('down')
    .description(
      'Stop the services (all, or those named) this stack started, by the PIDs in its PID files; data is kept for the next `up`',
    )
    .addArgument(services())
    .action(async (given: ServiceName[]) => {
      for (const { name, outcome } of await downStack(undefined, named(given)))
        process.stdout.write(`${name}: ${outcome}\n`);
    });

  stack
    .command('restart')
    .description(
      'Stop the named services and start them again, waiting until healthy; the others keep running (e.g. `restart kafka` under a running source)',
    )
    .addArgument(new Argument('<services...>', 'which services').choices(SERVICE_NAMES))
    .action(async (given: ServiceName[]) => {
      const result = await restartStack(given, createStackContext()).catch(reportFailure);
      process.stdout.write(statusTable(result.statuses, false));
    });

  stack
    .command('status')
    .description(
      'Per service: healthy / unhealthy / stopped / stale pid file, with version, PID, RSS and log; exits 3 unless all are healthy',
    )
    .action(async () => {
      const statuses = await stackStatus();
      process.stdout.write(statusTable(statuses, true));
      for (const status of statuses)
        if (status.detail !== undefined) process.stdout.write(`${status.name}: ${status.detail}\n`);
      const total = statuses.reduce((sum, status) => sum + (status.rssBytes ?? 0), 0);
      process.stdout.write(`total RSS: ${megabytes(total)}\n`);
      if (statuses.some((status) => status.state !== 'healthy')) process.exitCode = 3;
    });

  stack
    .command('logs')
    .description('Print the end of a service log (all services when none is named)')
    .addArgument(new Argument('[service]', 'which service').choices(SERVICE_NAMES))
    .option('-n, --lines <count>', 'how many lines per service', '50')
    .action(async (service: ServiceName | undefined, options: { lines: string }) => {
      const lines = Number(options.lines);
      if (!Number.isInteger(lines) || lines < 1)
        throw new ConnectError(`--lines must be a positive integer, found ${JSON.stringify(options.lines)}`);
      const endpoints = stackEndpoints();
      for (const name of service === undefined ? SERVICE_NAMES : [service]) {
        const { logFile } = servicePaths(endpoints, name);
        process.stdout.write(`=== ${name}: ${logFile} ===\n${await tailFile(logFile, lines)}`);
      }
    });
}
