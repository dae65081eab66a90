/**
 * Health means "a real client can use it": a Kafka client describes the cluster, the registry
 * answers its Confluent-compatible subject list, ClickHouse runs `SELECT version()` through @clickhouse/client,
 * PostgreSQL runs it through pg as the stack's `bookeo` role in its database. An open port alone
 * is not health (a JVM listens long before it serves; PostgreSQL refuses logins while it recovers).
 */
import { createConnection } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import pg from 'pg';
import { ConnectError, describeError } from '../../common/errors.js';
import { probeBroker } from '../../kafka/probe.js';
import type { StackEndpoints } from './endpoints.js';

const PROBE_TIMEOUT_MS = 5_000;

export async function probeKafka(endpoints: StackEndpoints): Promise<void> {
  await probeBroker(endpoints.kafkaBroker, PROBE_TIMEOUT_MS);
}

/**
 * Readiness first: with kafkasql storage the ccompat API answers (an empty list, 404 for known
 * subjects) while the registry is still replaying its journal topic; Quarkus' /health/ready on the
 * management port turns 200 only once storage is loaded. Then the subject list clients use, and
 * the version from Apicurio's own API.
 */
export async function probeRegistry(endpoints: StackEndpoints): Promise<string> {
  const origin = new URL(endpoints.registryUrl);
  const ready = await fetch(`http://${origin.hostname}:${endpoints.registryManagementPort}/health/ready`, {
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
  });
  await ready.arrayBuffer();
  if (!ready.ok)
    throw new ConnectError(`registry: /health/ready answered ${ready.status} (storage still loading)`, {
      retriable: true,
    });
  const subjects = await fetch(`${endpoints.registryUrl}/subjects`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  await subjects.arrayBuffer();
  if (!subjects.ok) throw new ConnectError(`registry: GET /subjects answered ${subjects.status}`, { retriable: true });
  const info = await fetch(`${origin.origin}/apis/registry/v3/system/info`, {
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
  });
  const body = info.ok ? ((await info.json()) as { version?: string }) : {};
  return body.version ?? 'unknown';
}

export async function probeClickHouse(endpoints: StackEndpoints): Promise<string> {
  // The client logs every refused connection at ERROR; while polling a starting server that is noise.
  const client = createClient({
    url: endpoints.clickhouseUrl,
    request_timeout: PROBE_TIMEOUT_MS,
    log: { level: ClickHouseLogLevel.OFF },
  });
  try {
    const result = await client.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' });
    const [row] = await result.json<{ version: string }>();
    if (row === undefined) throw new ConnectError('clickhouse: SELECT version() returned no row', { retriable: true });
    return row.version;
  } finally {
    await client.close();
  }
}

export async function probePostgres(endpoints: StackEndpoints): Promise<string> {
  const client = new pg.Client({
    connectionString: endpoints.postgresUrl,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    query_timeout: PROBE_TIMEOUT_MS,
  });
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string }>('SELECT version() AS version');
    const version = rows[0]?.version;
    if (version === undefined)
      throw new ConnectError('postgres: SELECT version() returned no row', { retriable: true });
    // `PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu, ...` → 15.18
    return /^PostgreSQL (\S+)/.exec(version)?.[1] ?? version;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Polls `probe` until it resolves; gives up at the deadline or as soon as `stillAlive` says the
 * process died (no point waiting 90 s on a JVM that exited in the first second).
 */
export async function waitHealthy(
  probe: () => Promise<string>,
  options: { timeoutMs: number; stillAlive: () => boolean; intervalMs?: number },
): Promise<string> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (!options.stillAlive())
      throw new ConnectError(
        `the process exited before it became healthy${last === undefined ? '' : ` (last probe: ${describeError(last)})`}`,
      );
    try {
      return await probe();
    } catch (error) {
      last = error;
    }
    await delay(options.intervalMs ?? 500);
  }
  throw new ConnectError(
    `not healthy after ${Math.round(options.timeoutMs / 1000)} s${last === undefined ? '' : ` (last probe: ${describeError(last)})`}`,
  );
}

/** Whether something already listens on host:port (a foreign process would fool a health check). */
export function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}
