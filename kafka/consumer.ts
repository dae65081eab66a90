/**
 * The sink's Kafka consumer group, behind a small interface: read_committed, offsets committed
 * only when asked (autoCommit off), batches per partition of plain messages, pause/resume, and the
 * group's events the sink runner reacts to. `createGroupConsumer` is its kafkajs implementation;
 * nothing outside this folder sees a kafkajs type, so the sink engine runs against an in-memory
 * fake in unit tests and against another client with a change of this folder only.
 */
import type { Consumer, KafkaMessage } from 'kafkajs';
import { openAdmin, type CommittedOffset } from './admin.js';
import { kafkajsClient, type KafkaClient } from './client.js';
import { ConsumerRestartingError } from './consumer-errors.js';

export type MessageHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** One record as read: the bytes and headers as they are on the topic, and its offset (decimal text). */
export interface ConsumedMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: MessageHeaders;
  readonly offset: string;
}

/** Records of one topic-partition in offset order; `highWatermark` is the partition's end when fetched. */
export interface ConsumedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: number;
  readonly messages: readonly ConsumedMessage[];
}

/** A position to commit: the next offset to consume, and metadata stored with it. */
export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly metadata: string | null;
}

export interface GroupConsumerEvents {
  /** This member joined the group (first join or after a rebalance): every assigned partition restarts from its committed offset. */
  joined: (event: { readonly assignment: unknown; readonly generationId: number | undefined }) => void;
  /** The broker answered a request of this consumer (a fetch, a heartbeat, a commit). */
  alive: () => void;
  /** A fetched batch was handed over; `lastOffset` counts a transaction's commit marker too. */
  batchEnd: (event: {
    readonly topic: string;
    readonly partition: number;
    readonly lastOffset: number;
    readonly highWatermark: number;
  }) => void;
  /** The group assigned this member topics it did not subscribe to (another deployment in the same group). */
  foreignTopics: (topics: readonly string[]) => void;
  /** The consumer crashed; `restart` says whether it restarts and rejoins by itself. */
  crashed: (event: { readonly error: unknown; readonly restart: boolean }) => void;
}

export interface GroupRun {
  /** Batches of different partitions handed over at once. */
  readonly concurrency: number;
  /** Takes one batch; `heartbeat` keeps the membership alive while it waits. Throwing has the batch delivered again. */
  readonly eachBatch: (batch: ConsumedBatch, heartbeat: () => Promise<void>) => Promise<void>;
  /** Asked after a crash whether the consumer may restart and rejoin. */
  readonly mayRestart: (error: unknown) => boolean;
}

export interface GroupConsumer {
  connect(): Promise<void>;
  /** Subscribes from the beginning of each topic (where the group has no committed offset). */
  subscribe(topics: readonly string[]): Promise<void>;
  /** Starts consuming; resolves once the consumer is running. */
  run(run: GroupRun): Promise<void>;
  /** Stops fetching a partition (every partition of the topic when `partition` is omitted); throws while the consumer restarts. */
  pause(topic: string, partition?: number): void;
  resume(topic: string, partition?: number): void;
  /** Commits the positions; rejects with ConsumerRestartingError when the client dropped the commit unsent. */
  commit(positions: readonly OffsetToCommit[]): Promise<void>;
  /** The group's committed offsets (with their metadata) for a topic's partitions. */
  committed(topic: string): Promise<CommittedOffset[]>;
  on<E extends keyof GroupConsumerEvents>(event: E, listener: GroupConsumerEvents[E]): void;
  /** Leaves the group and closes the connections. */
  disconnect(): Promise<void>;
}

export interface GroupConsumerOptions {
  readonly groupId: string;
}

/** A member that died is replaced after this (kafkajs' default is longer). */
const SESSION_TIMEOUT_MS = 10_000;
const HEARTBEAT_INTERVAL_MS = 3_000;
const MAX_WAIT_TIME_MS = 500;

export function createGroupConsumer(kafka: KafkaClient, options: GroupConsumerOptions): GroupConsumer {
  let mayRestart: GroupRun['mayRestart'] = () => false;
  const consumer: Consumer = kafkajsClient(kafka).consumer({
    groupId: options.groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: MAX_WAIT_TIME_MS,
    sessionTimeout: SESSION_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    // kafkajs restarts a crashed consumer (Kafka went away) by itself; the caller bounds that.
    retry: { retries: 5, restartOnFailure: async (error) => mayRestart(error) },
  });
  // Commits are the caller's, serialised, and autoCommit is off: a commit event during a call is that call's.
  let commitsSent = 0;
  consumer.on(consumer.events.COMMIT_OFFSETS, () => void commitsSent++);

  return {
    connect: () => consumer.connect(),
    async subscribe(topics) {
      for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    },
    run(run) {
      mayRestart = run.mayRestart;
      return consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: run.concurrency,
        eachBatch: ({ batch, heartbeat }) =>
          run.eachBatch(
            {
              topic: batch.topic,
              partition: batch.partition,
              highWatermark: Number(batch.highWatermark),
              messages: batch.messages.map(consumedMessage),
            },
            heartbeat,
          ),
      });
    },
    pause: (topic, partition) =>
      consumer.pause([partition === undefined ? { topic } : { topic, partitions: [partition] }]),
    resume: (topic, partition) =>
      consumer.resume([partition === undefined ? { topic } : { topic, partitions: [partition] }]),
    async commit(positions) {
      const before = commitsSent;
      await consumer.commitOffsets(
        positions.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          offset: String(p.offset),
          metadata: p.metadata,
        })),
      );
      // kafkajs answers a commit made while its consumer restarts after a crash without sending it.
      if (commitsSent === before) throw new ConsumerRestartingError();
    },
    async committed(topic) {
      const admin = await openAdmin(kafka);
      try {
        return await admin.groupOffsets(options.groupId, topic);
      } finally {
        await admin.close();
      }
    },
    on(event, listener) {
      (EVENT_SOURCES[event] as (consumer: Consumer, listener: GroupConsumerEvents[typeof event]) => void)(
        consumer,
        listener,
      );
    },
    disconnect: () => consumer.disconnect(),
  };
}

/** A v2 record batch always carries headers; the old message-set format has none. */
function consumedMessage(message: KafkaMessage): ConsumedMessage {
  return message.headers === undefined
    ? { key: message.key, value: message.value, headers: {}, offset: message.offset }
    : message;
}

/** How each event of the interface is heard from kafkajs' instrumentation events. */
const EVENT_SOURCES: {
  readonly [E in keyof GroupConsumerEvents]: (consumer: Consumer, listener: GroupConsumerEvents[E]) => void;
} = {
  joined: (consumer, listener) =>
    consumer.on(consumer.events.GROUP_JOIN, (e) =>
      listener({
        assignment: e.payload.memberAssignment,
        generationId: (e.payload as { generationId?: number }).generationId,
      }),
    ),
  // Any request the broker answered. Not kafkajs' FETCH event: with every partition paused its fetch
  // loop only sleeps and still emits FETCH, so a dead broker would look alive.
  alive: (consumer, listener) => {
    consumer.on(consumer.events.REQUEST, () => listener());
    consumer.on(consumer.events.HEARTBEAT, () => listener());
  },
  batchEnd: (consumer, listener) =>
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) =>
      listener({
        topic: e.payload.topic,
        partition: e.payload.partition,
        lastOffset: Number(e.payload.lastOffset),
        highWatermark: Number(e.payload.highWatermark),
      }),
    ),
  foreignTopics: (consumer, listener) =>
    consumer.on(consumer.events.RECEIVED_UNSUBSCRIBED_TOPICS, (e) => listener(e.payload.topicsNotSubscribed)),
  crashed: (consumer, listener) =>
    consumer.on(consumer.events.CRASH, (e) => listener({ error: e.payload.error, restart: e.payload.restart })),
};
