/**
 * ClickHouse for the stack: the real engine (chDB, ClickHouse 26.x, from npm) served over HTTP by
 * our own front (clickhouse-http-server.ts), because chDB has no server mode and holds its data
 * folder exclusively; one process owns it and every client goes through the HTTP interface.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { probeClickHouse } from './health.js';
import type { LaunchSpec } from './processes.js';
import { servicePaths, type ServiceDefinition, type StackContext } from './service.js';

async function prepareClickHouse(context: StackContext): Promise<LaunchSpec> {
  const paths = servicePaths(context.endpoints, 'clickhouse');
  const dataDir = join(paths.dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const url = new URL(context.endpoints.clickhouseUrl);
  return {
    command: process.execPath,
    // `--import tsx` resolves from the working directory, hence cwd = repository root.
    args: [
      '--import',
      'tsx',
      join(context.repoRoot, 'deploy', 'stack', 'clickhouse-http-server.ts'),
      '--host',
      url.hostname,
      '--port',
      url.port,
      '--data',
      dataDir,
    ],
    cwd: context.repoRoot,
  };
}

export const clickhouseService: ServiceDefinition = {
  name: 'clickhouse',
  address: (endpoints) => `${endpoints.clickhouseUrl} (HTTP only)`,
  ports: (endpoints) => [Number(new URL(endpoints.clickhouseUrl).port)],
  // chdb comes with node_modules; nothing to download.
  install: async () => undefined,
  prepare: prepareClickHouse,
  probe: probeClickHouse,
  startTimeoutMs: 90_000,
};
