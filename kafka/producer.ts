/**
 * A plain producer, outside transactions: idempotent (a send kafkajs retries is not written twice)
 * and acknowledged by every in-sync replica, with Java's key partitioner so a key lands where a
 * Java producer would put it. The sinks' dead letters and `dlq redrive` send through it.
 */
import { Partitioners, type Message, type Producer } from 'kafkajs';
import { kafkajsClient, type KafkaClient } from './client.js';
import type { ProducerRecord } from './records.js';

export interface RecordProducer {
  /** Resolves once the record is acknowledged by all in-sync replicas. */
  send(record: ProducerRecord): Promise<void>;
  close(): Promise<void>;
}

export async function createProducer(kafka: KafkaClient): Promise<RecordProducer> {
  const producer: Producer = kafkajsClient(kafka).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return {
    async send(record) {
      const message: Message = { key: record.key, value: record.value };
      if (record.headers !== undefined) message.headers = record.headers as Message['headers'];
      if (record.partition !== undefined) message.partition = record.partition;
      await producer.send({ topic: record.topic, acks: -1, messages: [message] });
    },
    close: () => producer.disconnect(),
  };
}
