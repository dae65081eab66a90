/** A Kafka client for the local stack's broker (`npm run stack`), for tests and benchmarks; its logs are discarded. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../common/logger.js';
import { stackEndpoints } from '../deploy/stack/endpoints.js';
import { createKafka, type KafkaClient } from '../kafka/client.js';

/** A logger that writes nothing. */
export function silentLogger(): Logger {
  return createLogger({
    level: 'silent',
    format: 'json',
    destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
}

export function stackKafka(clientId = 'bookeo-test'): KafkaClient {
  return createKafka({ brokers: [stackEndpoints().kafkaBroker], clientId, ssl: false }, silentLogger());
}
