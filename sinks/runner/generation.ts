/**
 * One generation of the runner: the partition lanes between two group joins. After a rebalance
 * the client restarts every assigned partition from its committed offset, so the runner drops all
 * uncommitted state and starts a new generation; a write still in flight from the old one finishes
 * before the new lane of that partition writes (same ranges, same tokens). Batch boundaries
 * recorded as intents are read again from the group at the start of each generation.
 */
import type { Logger } from '../../common/logger.js';
import type { GroupConsumer } from '../../kafka/consumer.js';
import type { BatchLimits } from './batcher.js';
import { keyOf } from './commit-tracker.js';
import { createIntentReader, type IntentReader } from './intents.js';
import { PartitionLane, type LaneContext } from './partition-lane.js';

export interface GenerationOptions {
  readonly group: Pick<GroupConsumer, 'committed'>;
  readonly limits: BatchLimits;
  /** What the lanes of a generation share; `signal` aborts when the generation ends. */
  readonly laneContext: (signal: AbortSignal) => LaneContext;
  readonly logger: Logger;
}

export class Generation {
  /** Lanes by `topic/partition` (commit-tracker.ts `keyOf`). */
  readonly lanes = new Map<string, PartitionLane>();
  /** The next offset to consume per partition, as far as fetched batches reached. */
  readonly consumedUpTo = new Map<string, number>();
  private readonly controller = new AbortController();
  private readonly context: LaneContext;
  private readonly intents: IntentReader;
  private readonly options: GenerationOptions;
  /** The previous generation's pumps, so a new lane waits for its predecessor. */
  private readonly predecessors: ReadonlyMap<string, Promise<void>>;

  constructor(options: GenerationOptions, predecessors: ReadonlyMap<string, Promise<void>> = new Map()) {
    this.options = options;
    this.predecessors = predecessors;
    this.intents = createIntentReader(options.group);
    this.context = options.laneContext(this.controller.signal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stops this generation's pumps after the write in flight (used when the runner fails or a stop times out). */
  abort(): void {
    this.controller.abort();
  }

  /** Ends this generation and starts the next, whose lanes wait for this one's writes in flight. */
  next(): Generation {
    const predecessors = new Map([...this.lanes].map(([key, lane]) => [key, lane.idle()]));
    this.abort();
    return new Generation(this.options, predecessors);
  }

  /** The partition's lane, created on its first batch with the batch end recorded as intent, if any. */
  async laneFor(topic: string, partition: number): Promise<PartitionLane> {
    const key = keyOf(topic, partition);
    const existing = this.lanes.get(key);
    if (existing !== undefined) return existing;
    const intent = (await this.intents(topic)).get(partition);
    const again = this.lanes.get(key);
    if (again !== undefined) return again;
    if (intent !== undefined)
      this.options.logger.info({ topic, partition, cutAt: intent }, 'repeating a recorded batch boundary');
    const lane = new PartitionLane(
      topic,
      partition,
      this.options.limits,
      intent,
      this.context,
      this.predecessors.get(key),
    );
    this.lanes.set(key, lane);
    return lane;
  }

  pausedLanes(): number {
    let paused = 0;
    for (const lane of this.lanes.values()) if (lane.paused) paused++;
    return paused;
  }
}
