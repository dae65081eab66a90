/**
 * Apicurio Registry 3.3.3 (a real schema registry with a Confluent-compatible API under
 * /apis/ccompat/v7), from its Quarkus app archive on Maven Central. Confluent's own registry is
 * not published there. It needs Java 21+, and its default in-memory storage would forget every
 * schema on restart, so it runs with `kafkasql` storage on the stack's broker: schema ids survive
 * a registry restart as long as Kafka's data does.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, sep } from 'node:path';
import { promisify } from 'node:util';
import type { StackEndpoints } from './endpoints.js';
import { probeRegistry } from './health.js';
import { DEPENDENCY_PLUGIN, installOnce, runMaven } from './maven.js';
import type { LaunchSpec } from './processes.js';
import { servicePaths, type ServiceDefinition, type StackContext } from './service.js';

const run = promisify(execFile);

export const REGISTRY_VERSION = '3.3.3';

async function installRegistry(context: StackContext): Promise<string> {
  const dir = join(context.endpoints.cacheDir, `apicurio-registry-${REGISTRY_VERSION}`);
  const java = await context.java();
  await installOnce(dir, async (target) => {
    context.say(`installing Apicurio Registry ${REGISTRY_VERSION} (about 160 MB) from Maven Central into ${target}`);
    await runMaven(
      [
        `${DEPENDENCY_PLUGIN}:copy`,
        `-Dartifact=io.apicurio:apicurio-registry-app:${REGISTRY_VERSION}:tar.gz:all`,
        `-DoutputDirectory=${target}`,
      ],
      target,
      java,
    );
    const archive = readdirSync(target).find((name) => name.endsWith('.tar.gz'));
    if (archive === undefined) throw new Error(`no .tar.gz in ${target} after the Maven copy`);
    mkdirSync(join(target, 'app'));
    await run('tar', ['-xzf', join(target, archive), '-C', join(target, 'app')], { timeout: 300_000 });
    // ~/.m2 keeps a copy of the archive; a second one here would only waste 160 MB.
    rmSync(join(target, archive));
    context.say(`Apicurio Registry ${REGISTRY_VERSION} installed`);
  });
  return join(dir, 'app', 'quarkus-run.jar');
}

/** Settings as system properties; storage as the environment variables Apicurio documents for it. */
export function registryLaunchArguments(
  endpoints: StackEndpoints,
  tmpDir: string,
): { args: string[]; env: Record<string, string> } {
  const url = new URL(endpoints.registryUrl);
  return {
    args: [
      '-Xms128m',
      '-Xmx384m',
      `-Djava.io.tmpdir=${tmpDir}`,
      `-Dquarkus.http.host=${url.hostname}`,
      `-Dquarkus.http.port=${url.port}`,
      // Quarkus' management interface defaults to port 9000 on all interfaces (ClickHouse's native port).
      `-Dquarkus.management.host=${url.hostname}`,
      `-Dquarkus.management.port=${endpoints.registryManagementPort}`,
      // Tests delete their subjects, which Apicurio refuses by default.
      '-Dapicurio.rest.deletion.artifact.enabled=true',
      '-Dapicurio.rest.deletion.artifact-version.enabled=true',
      '-Dapicurio.rest.deletion.group.enabled=true',
      // Re-registering a schema that differs only in formatting finds the existing id, as Confluent's does.
      '-Dapicurio.ccompat.use-canonical-hash=true',
      '-Dquarkus.log.console.color=false',
    ],
    env: { APICURIO_STORAGE_KIND: 'kafkasql', APICURIO_KAFKASQL_BOOTSTRAP_SERVERS: endpoints.kafkaBroker },
  };
}

async function prepareRegistry(context: StackContext): Promise<LaunchSpec> {
  const jar = await installRegistry(context);
  const java = await context.java();
  const paths = servicePaths(context.endpoints, 'registry');
  // Its temp folder doubles as the marker that ties the PID to this stack (see processes.ts).
  const tmpDir = join(paths.dir, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  const { args, env } = registryLaunchArguments(context.endpoints, `${tmpDir}${sep}`);
  return { command: java.javaPath, args: [...args, '-jar', jar], cwd: paths.dir, env };
}

export const registryService: ServiceDefinition = {
  name: 'registry',
  address: (endpoints) => `${endpoints.registryUrl} (management :${endpoints.registryManagementPort})`,
  ports: (endpoints) => [Number(new URL(endpoints.registryUrl).port), endpoints.registryManagementPort],
  install: async (context) => {
    await installRegistry(context);
  },
  prepare: prepareRegistry,
  probe: probeRegistry,
  // kafkasql storage replays its journal topic before serving: 18-28 s measured, more on a busy box.
  startTimeoutMs: 120_000,
};
