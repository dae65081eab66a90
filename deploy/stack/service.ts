/** What the stack knows about each of its services, and where each keeps its state. */
import { join } from 'node:path';
import type { StackEndpoints } from './endpoints.js';
import type { JavaRuntime } from './java.js';
import type { LaunchSpec } from './processes.js';

export const SERVICE_NAMES = ['kafka', 'clickhouse', 'registry', 'postgres'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface StackContext {
  readonly endpoints: StackEndpoints;
  /** The repository root (the ClickHouse front runs from its sources). */
  readonly repoRoot: string;
  /** The JDK >= 21 shared by the JVM services, found or installed on first use. */
  readonly java: () => Promise<JavaRuntime>;
  /** Progress lines for the user (stderr). */
  readonly say: (line: string) => void;
}

export interface ServiceDefinition {
  readonly name: ServiceName;
  readonly address: (endpoints: StackEndpoints) => string;
  /** Ports it binds; one already taken by a foreign process stops `up` before launching. */
  readonly ports: (endpoints: StackEndpoints) => readonly number[];
  /** Downloads into the cache, once (later calls return at once). */
  readonly install: (context: StackContext) => Promise<void>;
  /** Installs if needed and writes configuration; idempotent. Returns how to launch. */
  readonly prepare: (context: StackContext) => Promise<LaunchSpec>;
  /** Run once a launch of this stack has become healthy (state that needs the running service). */
  readonly afterStart?: (context: StackContext) => Promise<void>;
  /** One health probe: resolves with the running version, rejects while not healthy. */
  readonly probe: (endpoints: StackEndpoints) => Promise<string>;
  /** The signal that shuts it down cleanly without waiting for its clients; SIGTERM when not given. */
  readonly stopSignal?: NodeJS.Signals;
  readonly startTimeoutMs: number;
}

export interface ServicePaths {
  /** Config, data and log of this service; its path is also the marker in the command line. */
  readonly dir: string;
  readonly pidFile: string;
  readonly logFile: string;
}

export function servicePaths(endpoints: StackEndpoints, name: ServiceName): ServicePaths {
  const dir = join(endpoints.stateDir, name);
  return { dir, pidFile: join(dir, `${name}.pid`), logFile: join(dir, `${name}.log`) };
}

/** `host:port` → its parts (the endpoints module hands out Kafka's broker in that form). */
export function splitHostPort(address: string): { host: string; port: number } {
  const index = address.lastIndexOf(':');
  return { host: address.slice(0, index), port: Number(address.slice(index + 1)) };
}
