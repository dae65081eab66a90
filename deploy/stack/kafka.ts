/**
 * Apache Kafka, single KRaft node (broker + controller in one JVM), from Maven Central jars: the
 * `kafka_2.13` POM brings the broker at runtime but deliberately no SLF4J binding (KAFKA-18466), so
 * `log4j-slf4j-impl` is added, else the broker runs silently. Storage is formatted once with a
 * static single voter; data persists across `down`/`up` (the registry keeps its schemas in Kafka).
 * Besides plaintext, the broker serves secured listeners for the security tests: TLS, mTLS,
 * SASL_SSL with SCRAM-SHA-512 (its user is created after each start) and SASL_PLAINTEXT with
 * OAUTHBEARER checked by Kafka's unsecured-JWT validator (no identity provider needed).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join, sep } from 'node:path';
import { promisify } from 'node:util';
import { ConnectError } from '../../common/errors.js';
import { ensureStackCertificates, stackCertificates } from './certificates.js';
import type { StackEndpoints } from './endpoints.js';
import { probeKafka } from './health.js';
import type { JavaRuntime } from './java.js';
import { DEPENDENCY_PLUGIN, dependenciesPom, installOnce, runMaven } from './maven.js';
import type { LaunchSpec } from './processes.js';
import { servicePaths, splitHostPort, type ServiceDefinition, type StackContext } from './service.js';

const run = promisify(execFile);

export const KAFKA_VERSION = '4.1.1';
/** Kafka 4.1's own log4j2 version; the slf4j-impl flavour because Kafka 4.x is still on SLF4J 1.7. */
const LOG4J_VERSION = '2.25.3';

/** The secured listeners: name, security protocol, address. */
function securedListeners(endpoints: StackEndpoints): ReadonlyArray<readonly [string, string, string]> {
  return [
    ['SSL', 'SSL', endpoints.kafkaSslBroker],
    ['MTLS', 'SSL', endpoints.kafkaMtlsBroker],
    ['SCRAM', 'SASL_SSL', endpoints.kafkaScramBroker],
    ['OAUTH', 'SASL_PLAINTEXT', endpoints.kafkaOAuthBroker],
  ];
}

/** The broker's properties: one node, transactions with replication factor 1, fast group joins, and the secured listeners. */
export function kafkaServerProperties(endpoints: StackEndpoints, logDir: string): string {
  const { host, port } = splitHostPort(endpoints.kafkaBroker);
  const controller = `${host}:${endpoints.kafkaControllerPort}`;
  const secured = securedListeners(endpoints);
  const listeners = [
    `PLAINTEXT://${host}:${port}`,
    `CONTROLLER://${controller}`,
    ...secured.map(([name, , address]) => `${name}://${address}`),
  ].join(',');
  const certificates = stackCertificates(endpoints);
  const properties: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${controller}`,
    listeners,
    'advertised.listeners': listeners,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': [
      'CONTROLLER:PLAINTEXT',
      'PLAINTEXT:PLAINTEXT',
      ...secured.map(([name, protocol]) => `${name}:${protocol}`),
    ].join(','),
    // TLS (SSL, MTLS, SCRAM): the stack CA's broker certificate; MTLS also checks clients against that CA.
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': certificates.brokerKeystoreFile,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certificates.caFile,
    'listener.name.mtls.ssl.client.auth': 'required',
    'listener.name.scram.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'listener.name.scram.scram-sha-512.sasl.jaas.config':
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    // No server callback handler configured: Kafka's unsecured-JWT validator checks the tokens.
    'listener.name.oauth.sasl.enabled.mechanisms': 'OAUTHBEARER',
    'listener.name.oauth.oauthbearer.sasl.jaas.config':
      'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="kafka-broker";',
    'log.dirs': logDir,
    'num.partitions': 1,
    'offsets.topic.replication.factor': 1,
    // One partition: the first consumer-group join does not wait for 50 partitions to load.
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // Tests create consumer groups constantly; the default 3 s delay would be paid by each.
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': 'true',
    'num.network.threads': 2,
    'num.io.threads': 2,
  };
  return `${Object.entries(properties)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

/** Root at WARN to keep the log readable; KafkaRaftServer at INFO for its "Kafka Server started" line. */
const LOG4J2_PROPERTIES = `status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = STDOUT
logger.raft.name = kafka.server.KafkaRaftServer
logger.raft.level = info
`;

async function installKafka(context: StackContext, java: JavaRuntime): Promise<string> {
  const dir = join(context.endpoints.cacheDir, `kafka_2.13-${KAFKA_VERSION}`);
  const installed = await installOnce(dir, async (target) => {
    context.say(`installing Kafka ${KAFKA_VERSION} jars from Maven Central into ${target}`);
    writeFileSync(
      join(target, 'pom.xml'),
      dependenciesPom([
        { groupId: 'org.apache.kafka', artifactId: 'kafka_2.13', version: KAFKA_VERSION },
        { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j-impl', version: LOG4J_VERSION },
      ]),
    );
    await runMaven(
      [`${DEPENDENCY_PLUGIN}:copy-dependencies`, '-DincludeScope=runtime', '-DoutputDirectory=libs'],
      target,
      java,
    );
  });
  if (installed) context.say(`Kafka ${KAFKA_VERSION} installed`);
  return join(dir, 'libs');
}

async function prepareKafka(context: StackContext): Promise<LaunchSpec> {
  const java = await context.java();
  const libs = await installKafka(context, java);
  await ensureStackCertificates(context.endpoints, context.say);
  const paths = servicePaths(context.endpoints, 'kafka');
  const dataDir = join(paths.dir, 'data');
  const propertiesFile = join(paths.dir, 'server.properties');
  const log4jFile = join(paths.dir, 'log4j2.properties');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(propertiesFile, kafkaServerProperties(context.endpoints, dataDir));
  writeFileSync(log4jFile, LOG4J2_PROPERTIES);
  const common = ['-cp', `${libs}${sep}*`, `-Dlog4j2.configurationFile=${log4jFile}`];
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    // A cluster id is 16 random bytes in URL-safe base64 (22 characters), what `random-uuid` prints.
    // Given with `=`: an id that starts with '-' would otherwise be read as an option.
    const clusterId = randomBytes(16).toString('base64url');
    try {
      await run(
        java.javaPath,
        [
          ...common,
          'kafka.tools.StorageTool',
          'format',
          `--cluster-id=${clusterId}`,
          '-c',
          propertiesFile,
          '--ignore-formatted',
        ],
        { timeout: 120_000 },
      );
    } catch (error) {
      const output = error as { stdout?: string; stderr?: string };
      throw new ConnectError(`kafka storage format failed: ${output.stderr ?? ''}${output.stdout ?? ''}`, {
        cause: error,
      });
    }
  }
  return {
    command: java.javaPath,
    args: [
      '-Xms256m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      ...common,
      'kafka.Kafka',
      propertiesFile,
    ],
    cwd: paths.dir,
  };
}

/**
 * Creates (or resets) the SCRAM user through the plaintext listener with Kafka's own ConfigCommand:
 * KRaft keeps SCRAM credentials in its metadata, so a data dir formatted before the SCRAM listener
 * existed gets the user too.
 */
async function createScramUser(context: StackContext): Promise<void> {
  const java = await context.java();
  const libs = await installKafka(context, java);
  const { username, password } = context.endpoints.kafkaScramUser;
  const log4jFile = join(servicePaths(context.endpoints, 'kafka').dir, 'log4j2.properties');
  try {
    await run(
      java.javaPath,
      [
        '-Xmx128m',
        '-cp',
        `${libs}${sep}*`,
        `-Dlog4j2.configurationFile=${log4jFile}`,
        'kafka.admin.ConfigCommand',
        '--bootstrap-server',
        context.endpoints.kafkaBroker,
        '--alter',
        '--entity-type',
        'users',
        '--entity-name',
        username,
        '--add-config',
        `SCRAM-SHA-512=[password=${password}]`,
      ],
      { timeout: 120_000 },
    );
  } catch (error) {
    const output = error as { stdout?: string; stderr?: string };
    throw new ConnectError(`creating the SCRAM user ${username} failed: ${output.stderr ?? ''}${output.stdout ?? ''}`, {
      cause: error,
    });
  }
}

/** Every listener's address, for `status` and `up`. */
function kafkaAddress(endpoints: StackEndpoints): string {
  const port = (address: string): number => splitHostPort(address).port;
  return (
    `${endpoints.kafkaBroker} (controller :${endpoints.kafkaControllerPort}; ` +
    `ssl :${port(endpoints.kafkaSslBroker)}, mtls :${port(endpoints.kafkaMtlsBroker)}, ` +
    `scram :${port(endpoints.kafkaScramBroker)}, oauth :${port(endpoints.kafkaOAuthBroker)})`
  );
}

export const kafkaService: ServiceDefinition = {
  name: 'kafka',
  address: kafkaAddress,
  ports: (endpoints) => [
    splitHostPort(endpoints.kafkaBroker).port,
    endpoints.kafkaControllerPort,
    ...securedListeners(endpoints).map(([, , address]) => splitHostPort(address).port),
  ],
  install: async (context) => {
    await installKafka(context, await context.java());
  },
  prepare: prepareKafka,
  afterStart: createScramUser,
  probe: async (endpoints) => {
    await probeKafka(endpoints);
    return KAFKA_VERSION;
  },
  startTimeoutMs: 90_000,
};
