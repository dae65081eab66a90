/**
 * Starts a sink runner on a Kafka client: the sink engine (engine.ts) over the client's consumer
 * group (kafka/consumer.ts). Callers that hold a client use this; unit tests start the engine on
 * an in-memory group instead.
 */
import type { KafkaClient } from '../../kafka/client.js';
import { createGroupConsumer } from '../../kafka/consumer.js';
import { startSinkEngine, type SinkEngineOptions, type SinkRunner } from './engine.js';

export type { PartitionStatus, RunnerState, RunnerStatus, SinkRunner } from './engine.js';

export interface SinkRunnerOptions extends Omit<SinkEngineOptions, 'consumer'> {
  readonly kafka: KafkaClient;
}

export function startSinkRunner(options: SinkRunnerOptions): Promise<SinkRunner> {
  const { kafka, ...engine } = options;
  return startSinkEngine({ ...engine, consumer: createGroupConsumer(kafka, { groupId: options.groupId }) });
}
