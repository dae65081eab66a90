/**
 * The one place kafkajs is configured: brokers, TLS/SASL and a bridge from kafkajs's logger to
 * pino. Everything else receives the `Kafka` instance (style: keep kafkajs behind our own modules
 * so it can be replaced without touching source or sink logic).
 */
import { Kafka, logLevel as KafkaLogLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import type { AppConfig } from '../../common/config/schema.js';
import type { Logger } from '../../common/logger.js';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

export function createKafka(config: AppConfig['kafka'], logger: Logger, clientIdSuffix?: string): Kafka {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  const sasl: SASLOptions | undefined = config.sasl === undefined ? undefined : { ...config.sasl } as SASLOptions;
  return new Kafka({
    clientId: clientIdSuffix === undefined ? config.clientId : `${config.clientId}-${clientIdSuffix}`,
    brokers: [...config.brokers],
    ssl: config.ssl,
    ...(sasl === undefined ? {} : { sasl }),
    // kafkajs logs retriable errors at ERROR: coordinators loading while the broker warms up, and
    // CONCURRENT_TRANSACTIONS when a transaction starts while the coordinator still finishes the
    // previous commit. They are retried; we keep them at debug (our own code logs a final failure).
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const level = LEVELS[entry.level] ?? 'info';
      const { message, ...extra } = entry.log;
      const quiet = level === 'error' && /coordinator is (loading|not available)|not the correct coordinator|concurrent operation on the same transaction/i.test(String(extra.error ?? message));
      kafkaLogger[quiet ? 'debug' : level]({ namespace: entry.namespace, ...extra }, message);
    },
  });
}
