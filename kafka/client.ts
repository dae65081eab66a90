/**
 * The one place a Kafka client is configured: brokers, TLS/SASL (security.ts) and a bridge from kafkajs's logger
 * to pino. Everything else holds a `KafkaClient`, the project's own handle, and reaches Kafka
 * through the modules of this folder; only they see the kafkajs instance behind it, so another
 * client library is a change of this folder.
 */
import type { Socket } from 'node:net';
import { Kafka, logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs';
import type { AppConfig } from '../common/config/schema.js';
import type { Logger } from '../common/logger.js';
import { openBrokerSocket } from './broker-socket.js';
import { kafkaSecurityOptions } from './security.js';

/** What a client needs of the `kafka` configuration section. */
export type KafkaConnection = Pick<AppConfig['kafka'], 'brokers' | 'clientId' | 'ssl' | 'sasl'>;

/** A connection to one broker, opened by the client; `onConnect` is called once it is established. */
export type SocketFactory = (target: {
  readonly host: string;
  readonly port: number;
  readonly onConnect: () => void;
}) => Socket;

export interface KafkaClientOptions {
  /** Test seam: opens the client's broker connections (a test can then cut them). */
  readonly socketFactory?: SocketFactory;
}

/** A configured Kafka client. Connections are opened by the operations that use it. */
export interface KafkaClient {
  readonly clientId: string;
}

class KafkajsClient implements KafkaClient {
  readonly clientId: string;
  readonly kafka: Kafka;

  constructor(clientId: string, kafka: Kafka) {
    this.clientId = clientId;
    this.kafka = kafka;
  }
}

/** The kafkajs instance behind a client: for the kafkajs implementations in this folder. */
export function kafkajsClient(client: KafkaClient): Kafka {
  if (!(client instanceof KafkajsClient))
    throw new TypeError(`Kafka client ${client.clientId} was not made by createKafka`);
  return client.kafka;
}

/** A client over a kafkajs instance made elsewhere (the adapter's unit tests hand in a stand-in). */
export function kafkajsAsClient(clientId: string, kafka: Kafka): KafkaClient {
  return new KafkajsClient(clientId, kafka);
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** `clientIdSuffix` is appended to the configured client id (`<clientId>-<suffix>`), so brokers tell the parts apart. */
export function createKafka(
  config: KafkaConnection,
  logger: Logger,
  clientIdSuffix?: string,
  options: KafkaClientOptions = {},
): KafkaClient {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  const { ssl, sasl } = kafkaSecurityOptions(config, logger);
  const clientId = clientIdSuffix === undefined ? config.clientId : `${config.clientId}-${clientIdSuffix}`;
  return kafkajsAsClient(
    clientId,
    new Kafka({
      clientId,
      brokers: [...config.brokers],
      ssl,
      ...(sasl === undefined ? {} : { sasl }),
      socketFactory: options.socketFactory ?? openBrokerSocket,
      // kafkajs logs retriable errors at ERROR: coordinators loading while the broker warms up, and
      // CONCURRENT_TRANSACTIONS when a transaction starts while the coordinator still finishes the
      // previous commit. They are retried; we keep them at debug (our own code logs a final failure).
      logLevel: KafkaLogLevel.WARN,
      logCreator: () => (entry: LogEntry) => {
        const level = LEVELS[entry.level] ?? 'info';
        const { message, ...extra } = entry.log;
        const quiet =
          level === 'error' &&
          /coordinator is (loading|not available)|not the correct coordinator|concurrent operation on the same transaction/i.test(
            String(extra.error ?? message),
          );
        kafkaLogger[quiet ? 'debug' : level]({ namespace: entry.namespace, ...extra }, message);
      },
    }),
  );
}
