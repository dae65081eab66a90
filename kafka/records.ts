/**
 * Records as the project's Kafka interfaces take and hand them over: what a transaction writes,
 * what the plain producer sends, and what a reader or consumer receives. Keys and values are
 * bytes (or text to be sent as UTF-8); offsets are decimal strings, as Kafka's are 64-bit.
 */
/** A header as the Kafka client hands it over: a string or bytes, or several of them. */
export type HeaderValue = Buffer | string | ReadonlyArray<Buffer | string> | undefined;
export type RecordHeaders = Readonly<Record<string, HeaderValue>>;

/** A record written inside a transaction (transactional-writer.ts). */
export interface OutgoingRecord {
  readonly topic: string;
  readonly key: Buffer | string;
  /** null is a tombstone: the key is deleted after compaction. */
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A record sent by the plain producer (producer.ts): any key or none, headers as read from another record, optionally a fixed partition. */
export interface ProducerRecord {
  readonly topic: string;
  readonly partition?: number;
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: RecordHeaders;
}

/** A record read from a partition. */
export interface ConsumedRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: RecordHeaders;
  readonly offset: string;
  /** Epoch milliseconds, as Kafka sets or the producer gave it. */
  readonly timestamp: string;
}
