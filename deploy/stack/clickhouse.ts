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
    // The server outlives the checkout that started it (a removed worktree must not take its
    // working directory away), so it runs in its own folder and tsx is named by its full path.
    args: [
      '--import',
      import.meta.resolve('tsx'),
      join(context.repoRoot, 'deploy', 'stack', 'clickhouse-http-server.ts'),
      '--host',
      url.hostname,
      '--port',
      url.port,
      '--data',
      dataDir,
    ],
    cwd: paths.dir,
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
