/**
 * Whether a broker serves: one client with short timeouts and no retries describes the cluster.
 * For health checks that poll (the local stack), where kafkajs's own retries and logs would only
 * delay and clutter the answer.
 */
import { Kafka, logLevel } from 'kafkajs';
import { ConnectError } from '../common/errors.js';

export async function probeBroker(broker: string, timeoutMs: number): Promise<void> {
  const kafka = new Kafka({
    clientId: 'bookeo-stack-health',
    brokers: [broker],
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0)
      throw new ConnectError('kafka: no broker in the cluster metadata', { retriable: true });
  } finally {
    await admin.disconnect();
  }
}
