/**
 * The local stack as a whole: start what is not running (Kafka, ClickHouse and PostgreSQL together,
 * then the registry, which keeps its schemas in Kafka), stop what this stack started, and tell the truth
 * about each service. Used by the `stack` command, by test/run.ts and by tests that restart one
 * service (e.g. the registry) on purpose.
 */
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeError } from '../../common/errors.js';
import { clickhouseService } from './clickhouse.js';
import { stackEndpoints, type StackEndpoints } from './endpoints.js';
import { ServiceFailedError } from './errors.js';
import { portInUse, waitHealthy } from './health.js';
import { findJava, type JavaRuntime } from './java.js';
import { kafkaService } from './kafka.js';
import { postgresService } from './postgres.js';
import {
  isOurProcess,
  processState,
  removePidFile,
  rssBytes,
  spawnDetached,
  stopProcess,
  tailFile,
} from './processes.js';
import { registryService } from './registry.js';
import { SERVICE_NAMES, servicePaths, type ServiceDefinition, type ServiceName, type StackContext } from './service.js';

export { SERVICE_NAMES, type ServiceName } from './service.js';

export const SERVICES: Readonly<Record<ServiceName, ServiceDefinition>> = {
  kafka: kafkaService,
  clickhouse: clickhouseService,
  registry: registryService,
  postgres: postgresService,
};

const LOG_TAIL_LINES = 40;
/** Every service binds here (see endpoints.ts). */
const STACK_HOST = '127.0.0.1';

export function createStackContext(
  endpoints: StackEndpoints = stackEndpoints(),
  say: (line: string) => void = (line) => process.stderr.write(`stack: ${line}\n`),
): StackContext {
  let java: Promise<JavaRuntime> | undefined;
  return {
    endpoints,
    repoRoot: resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'),
    say,
    java: () =>
      (java ??= findJava(endpoints.cacheDir, say).then((runtime) => {
        say(`java ${runtime.major} (${runtime.source}): ${runtime.javaPath}`);
        return runtime;
      })),
  };
}

export interface ServiceStatus {
  readonly name: ServiceName;
  readonly state: 'healthy' | 'unhealthy' | 'stopped' | 'stale pid file';
  readonly address: string;
  readonly logFile: string;
  readonly pid?: number;
  readonly rssBytes?: number;
  readonly version?: string;
  /** Why it is unhealthy, or which PID the stale file named. */
  readonly detail?: string;
}

/** The command line of each of our processes contains its state folder (config, data or temp dir there). */
function marker(endpoints: StackEndpoints, name: ServiceName): string {
  return `${servicePaths(endpoints, name).dir}${sep}`;
}

export async function serviceStatus(
  name: ServiceName,
  endpoints: StackEndpoints = stackEndpoints(),
): Promise<ServiceStatus> {
  const definition = SERVICES[name];
  const paths = servicePaths(endpoints, name);
  const base = { name, address: definition.address(endpoints), logFile: paths.logFile };
  const state = processState(paths.pidFile, marker(endpoints, name));
  if (state.kind === 'stopped') return { ...base, state: 'stopped' };
  if (state.kind === 'stale')
    return { ...base, state: 'stale pid file', detail: `PID ${state.pid} is not running (or is another program)` };
  const rss = rssBytes(state.pid);
  const running = { ...base, pid: state.pid, ...(rss === undefined ? {} : { rssBytes: rss }) };
  try {
    return { ...running, state: 'healthy', version: await definition.probe(endpoints) };
  } catch (error) {
    return { ...running, state: 'unhealthy', detail: describeError(error) };
  }
}

export function stackStatus(endpoints: StackEndpoints = stackEndpoints()): Promise<ServiceStatus[]> {
  return Promise.all(SERVICE_NAMES.map((name) => serviceStatus(name, endpoints)));
}

/**
 * Makes one service healthy: a healthy one is left alone, a starting one is waited for, a stopped
 * one is launched. Returns its status and whether this call launched it.
 */
export async function startService(
  name: ServiceName,
  context: StackContext,
): Promise<{ status: ServiceStatus; started: boolean }> {
  const { endpoints } = context;
  const definition = SERVICES[name];
  const paths = servicePaths(endpoints, name);
  const ours = marker(endpoints, name);
  const current = processState(paths.pidFile, ours);
  let started = false;
  // While a process we started execs its way to the service (setpriv → postgres, a launcher → a
  // JVM), /proc shows its command line only in part or not at all for a moment; its exit event is
  // exact. A process found running is checked by its command line (its PID may have been reused).
  let stillAlive: () => boolean;
  if (current.kind === 'running') {
    const pid = current.pid;
    stillAlive = () => isOurProcess(pid, ours);
  } else {
    if (current.kind === 'stale') removePidFile(paths.pidFile);
    for (const port of definition.ports(endpoints)) {
      if (await portInUse(STACK_HOST, port)) {
        throw new ServiceFailedError(
          name,
          `port ${port} is already in use by a process this stack did not start; stop it or move the stack (BOOKEO_STACK_*_PORT)`,
          '',
        );
      }
    }
    let spec;
    try {
      spec = await definition.prepare(context);
    } catch (error) {
      throw new ServiceFailedError(name, `preparing failed: ${describeError(error)}`, '', error);
    }
    context.say(`starting ${name}`);
    const child = spawnDetached(spec, paths.logFile, paths.pidFile);
    stillAlive = () => !child.exited();
    started = true;
  }
  const began = Date.now();
  try {
    await waitHealthy(() => definition.probe(endpoints), { timeoutMs: definition.startTimeoutMs, stillAlive });
  } catch (error) {
    throw new ServiceFailedError(
      name,
      describeError(error).replace(/^ConnectError: /, ''),
      await tailFile(paths.logFile, LOG_TAIL_LINES),
      error,
    );
  }
  if (started) {
    context.say(`${name} healthy after ${((Date.now() - began) / 1000).toFixed(1)} s`);
    try {
      await definition.afterStart?.(context);
    } catch (error) {
      throw new ServiceFailedError(name, `after start: ${describeError(error)}`, '', error);
    }
  }
  return { status: await serviceStatus(name, endpoints), started };
}

/** Stops one service if this stack's PID file names a live process of ours; clears the PID file. */
export async function stopService(
  name: ServiceName,
  endpoints: StackEndpoints = stackEndpoints(),
): Promise<'not-running' | 'terminated' | 'killed'> {
  const paths = servicePaths(endpoints, name);
  const state = processState(paths.pidFile, marker(endpoints, name));
  const outcome =
    state.kind === 'running'
      ? await stopProcess(state.pid, marker(endpoints, name), undefined, SERVICES[name].stopSignal)
      : 'not-running';
  removePidFile(paths.pidFile);
  return outcome;
}

export interface UpResult {
  readonly statuses: readonly ServiceStatus[];
  /** The services this call launched (the ones to stop to leave things as found). */
  readonly started: readonly ServiceName[];
}

/** What each service needs running first: the registry keeps its schemas in Kafka. */
const DEPENDENCIES: Readonly<Record<ServiceName, readonly ServiceName[]>> = {
  kafka: [],
  clickhouse: [],
  postgres: [],
  registry: ['kafka'],
};

/** The named services and what they depend on, in start order. */
function withDependencies(names: readonly ServiceName[]): ServiceName[] {
  const wanted = new Set<ServiceName>();
  const add = (name: ServiceName): void => {
    for (const dependency of DEPENDENCIES[name]) add(dependency);
    wanted.add(name);
  };
  names.forEach(add);
  return SERVICE_NAMES.filter((name) => wanted.has(name)).sort(
    (a, b) => DEPENDENCIES[a].length - DEPENDENCIES[b].length,
  );
}

/**
 * Starts the named services (all by default) and what they depend on. Kafka's jars are installed
 * first (Maven's local repository has no locking, so downloads run one at a time), the registry's
 * archive downloads while Kafka, ClickHouse and PostgreSQL start, and the registry starts last
 * because its storage lives in Kafka.
 */
export async function upStack(
  context: StackContext = createStackContext(),
  names: readonly ServiceName[] = SERVICE_NAMES,
): Promise<UpResult> {
  const wanted = withDependencies(names);
  const independent = wanted.filter((name) => name !== 'registry');
  if (wanted.includes('kafka')) await kafkaService.install(context);
  const registryInstall = wanted.includes('registry') ? registryService.install(context) : Promise.resolve();
  const first = await Promise.allSettled(independent.map((name) => startService(name, context)));
  // Settle the download before throwing, so no promise is left unobserved.
  const registryInstalled = await registryInstall.then(
    () => undefined,
    (error: unknown) => error,
  );
  for (const outcome of first) if (outcome.status === 'rejected') throw outcome.reason;
  if (registryInstalled !== undefined)
    throw new ServiceFailedError(
      'registry',
      `install failed: ${describeError(registryInstalled)}`,
      '',
      registryInstalled,
    );
  const results = first.map(
    (outcome) => (outcome as PromiseFulfilledResult<{ status: ServiceStatus; started: boolean }>).value,
  );
  if (wanted.includes('registry')) results.push(await startService('registry', context));
  return {
    statuses: results.map((result) => result.status),
    started: results.filter((result) => result.started).map((result) => result.status.name),
  };
}

/** Stops services in reverse dependency order (the registry before the Kafka it writes to). */
export async function downStack(
  endpoints: StackEndpoints = stackEndpoints(),
  names: readonly ServiceName[] = SERVICE_NAMES,
): Promise<Array<{ name: ServiceName; outcome: string }>> {
  const outcomes: Array<{ name: ServiceName; outcome: string }> = [];
  for (const name of ['registry', 'postgres', 'clickhouse', 'kafka'] as const) {
    if (names.includes(name)) outcomes.push({ name, outcome: await stopService(name, endpoints) });
  }
  return outcomes;
}

/**
 * Stops the named services and starts them again, waiting until healthy. The services that depend
 * on them keep running: they ride out the restart as a client of theirs would.
 */
export async function restartStack(
  names: readonly ServiceName[],
  context: StackContext = createStackContext(),
): Promise<UpResult> {
  await downStack(context.endpoints, names);
  return upStack(context, names);
}
