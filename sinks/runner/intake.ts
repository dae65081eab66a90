/**
 * Takes one fetched batch into its partition's lane: decodes each record (waiting for the registry
 * when a schema is not cached yet, heartbeating meanwhile) and adds it to the open batch. It only
 * appends, then returns, so the consumer keeps fetching and heartbeating while batches are written
 * in the background. Counts the batches being taken, so a stop can wait for them.
 */
import { isRetriable } from '../../common/errors.js';
import type { Retrier } from '../../common/retry.js';
import type { ConsumedBatch } from '../../kafka/consumer.js';
import { isTransientKafkaError } from '../../kafka/consumer-errors.js';
import { decodeEntry, decodeEntryNow, messageBytes, type RecordDecoder } from './decode.js';
import type { Generation } from './generation.js';
import type { KafkaOutage } from './kafka-outage.js';
import type { PartitionLane } from './partition-lane.js';

export interface IntakeOptions {
  readonly decoder: RecordDecoder;
  /** Retries decoding while the registry is unreachable. */
  readonly decodeRetry: Retrier;
  readonly outage: KafkaOutage;
  /** False once a stop began or the runner failed: records that arrive then are not added (no later commit can pass them). */
  readonly accepting: () => boolean;
  readonly generation: () => Generation;
  readonly fail: (error: unknown) => void;
}

export class BatchIntake {
  private active = 0;
  private onDrained: (() => void) | undefined;
  private readonly options: IntakeOptions;

  constructor(options: IntakeOptions) {
    this.options = options;
  }

  /** Resolves once no batch is being taken. */
  drained(): Promise<void> {
    return this.active === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.onDrained = resolve));
  }

  /** Throws only when the batch must be delivered again (nothing of it was taken). */
  async take(batch: ConsumedBatch, heartbeat: () => Promise<void>): Promise<void> {
    if (!this.options.accepting()) return;
    this.active++;
    try {
      await this.consume(batch, heartbeat);
    } finally {
      if (--this.active === 0) this.onDrained?.();
    }
  }

  private async consume(batch: ConsumedBatch, heartbeat: () => Promise<void>): Promise<void> {
    const { decoder, decodeRetry, outage, fail } = this.options;
    const generation = this.options.generation();
    const signal = generation.signal;
    let lane: PartitionLane;
    try {
      lane = await generation.laneFor(batch.topic, batch.partition);
    } catch (error) {
      const verdict = isTransientKafkaError(error) ? outage.failed('reading batch boundaries', error) : error;
      // Nothing of the batch was taken: the client delivers it again (and restarts the consumer if Kafka stays away).
      // The verdict, not the client's own error: kafkajs gives up without a restart on an error it calls
      // non-retriable (a coordinator not found while the broker is down is wrapped as one).
      if (isRetriable(verdict)) throw verdict;
      fail(verdict);
      return;
    }
    lane.highWatermark = batch.highWatermark;
    try {
      for (const message of batch.messages) {
        // While the registry is retried, keep the membership alive (the client throttles heartbeats itself).
        const entry =
          decodeEntryNow(decoder, message) ??
          (await decodeEntry(decoder, message, decodeRetry, signal, () => void heartbeat().catch(() => undefined)));
        lane.add(entry.offset, messageBytes(message), entry, Date.now());
      }
    } catch (error) {
      // A rebalance aborted the decode: the new generation reads the batch again.
      if (!signal.aborted) fail(error);
    }
  }
}
