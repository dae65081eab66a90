/**
 * Where the local stack listens. The stack, the tests, the demo and the benchmarks all read these,
 * so one environment variable moves a service for all of them.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    throw new Error(`${name} must be a TCP port (1-65535), found ${JSON.stringify(raw)}`);
  return value;
}

export interface StackEndpoints {
  readonly kafkaBroker: string;
  readonly kafkaControllerPort: number;
  /** The same broker over TLS (server authentication; the stack's CA, certificates.ts). */
  readonly kafkaSslBroker: string;
  /** TLS with a client certificate required (mTLS). */
  readonly kafkaMtlsBroker: string;
  /** SASL_SSL with SCRAM-SHA-512 as `kafkaScramUser`. */
  readonly kafkaScramBroker: string;
  /** SASL_PLAINTEXT with OAUTHBEARER, checked by Kafka's unsecured-JWT validator (any `alg: none` JWT with `sub` and `exp`). */
  readonly kafkaOAuthBroker: string;
  /** The SCRAM user the stack creates at each start of its broker (a fixed, public test credential). */
  readonly kafkaScramUser: { readonly username: string; readonly password: string };
  readonly registryUrl: string;
  readonly registryManagementPort: number;
  readonly clickhouseUrl: string;
  /**
   * The stack's PostgreSQL as a connection string for the `bookeo` role (trusted on 127.0.0.1, no
   * password). 5432 is PostgreSQL's own default; a machine whose system server already listens
   * there moves the stack with BOOKEO_STACK_POSTGRES_PORT (e.g. 5433).
   */
  readonly postgresUrl: string;
  /** Downloads (jars, archives) kept across runs. */
  readonly cacheDir: string;
  /** PID files, logs and data of the running stack. */
  readonly stateDir: string;
}

export function stackEndpoints(env: NodeJS.ProcessEnv = process.env): StackEndpoints {
  const host = '127.0.0.1';
  const cacheDir = env.BOOKEO_STACK_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'bookeo-connect');
  return Object.freeze({
    kafkaBroker: `${host}:${port(env, 'BOOKEO_STACK_KAFKA_PORT', 9092)}`,
    kafkaControllerPort: port(env, 'BOOKEO_STACK_KAFKA_CONTROLLER_PORT', 9093),
    kafkaSslBroker: `${host}:${port(env, 'BOOKEO_STACK_KAFKA_SSL_PORT', 9094)}`,
    kafkaMtlsBroker: `${host}:${port(env, 'BOOKEO_STACK_KAFKA_MTLS_PORT', 9095)}`,
    kafkaScramBroker: `${host}:${port(env, 'BOOKEO_STACK_KAFKA_SCRAM_PORT', 9096)}`,
    kafkaOAuthBroker: `${host}:${port(env, 'BOOKEO_STACK_KAFKA_OAUTH_PORT', 9097)}`,
    kafkaScramUser: Object.freeze({ username: 'bookeo-scram', password: 'bookeo-scram-password' }),
    registryUrl: `http://${host}:${port(env, 'BOOKEO_STACK_REGISTRY_PORT', 8081)}/apis/ccompat/v7`,
    registryManagementPort: port(env, 'BOOKEO_STACK_REGISTRY_MANAGEMENT_PORT', 9001),
    clickhouseUrl: `http://${host}:${port(env, 'BOOKEO_STACK_CLICKHOUSE_PORT', 8123)}`,
    postgresUrl: `postgres://bookeo@${host}:${port(env, 'BOOKEO_STACK_POSTGRES_PORT', 5432)}/bookeo`,
    cacheDir,
    stateDir: env.BOOKEO_STACK_STATE ?? join(cacheDir, 'stack'),
  });
}
