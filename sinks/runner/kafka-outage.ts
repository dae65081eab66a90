/**
 * How long the sink waits Kafka out. Passing failures (kafka/consumer-errors.ts) are retried until
 * Kafka has been failing for `sink.kafkaOutageTimeoutSeconds`; refusals no wait fixes are fatal at
 * once. Silence (no request answered by the broker) makes the sink not ready before the client gives up.
 */
import { ConnectError, describeError } from '../../common/errors.js';
import { isTransientKafkaError } from '../../kafka/consumer-errors.js';

/** A passing Kafka failure, within the outage limit: retried. */
export class KafkaUnavailableError extends ConnectError {
  constructor(operation: string, cause: unknown) {
    super(`${operation}: Kafka unavailable: ${describeError(cause)}`, { cause, retriable: true });
  }
}

/** Kafka failed for longer than the limit; the sink stops and the process exits non-zero. */
export class KafkaOutageError extends ConnectError {
  constructor(limitMs: number, cause: unknown) {
    super(
      `Kafka unavailable for more than ${Math.round(limitMs / 1000)} s (sink.kafkaOutageTimeoutSeconds): ${describeError(cause)}`,
      { cause, retriable: false },
    );
  }
}

/** A Kafka refusal that no wait fixes. */
export class KafkaRefusedError extends ConnectError {
  constructor(operation: string, cause: unknown) {
    super(`${operation}: Kafka refused: ${describeError(cause)}`, { cause, retriable: false });
  }
}

/**
 * A consumer that is fine answers a fetch or a heartbeat every few seconds, idle or not; the client
 * reports a lost broker only once its own retries ran out, much later. Silence this long already
 * makes the sink not ready (it does not count toward the outage limit).
 */
export const KAFKA_SILENCE_MS = 10_000;

/**
 * One runner's view of Kafka's health: since when it has been failing, and what failed last.
 * Any success (a commit, a rejoin) ends the outage.
 */
export class KafkaOutage {
  private since: number | undefined;
  private last: unknown;
  private heardAt = Date.now();
  private readonly limitMs: number;

  constructor(limitMs: number) {
    this.limitMs = limitMs;
  }

  /** Kafka answered a request (a fetch, a heartbeat, a commit, metadata). */
  heard(): void {
    this.heardAt = Date.now();
  }

  /**
   * Records a failure of `operation` and says what to do with it: a retriable error while the
   * outage is within the limit, else one that stops the runner.
   */
  failed(operation: string, error: unknown): ConnectError {
    if (!isTransientKafkaError(error)) return new KafkaRefusedError(operation, error);
    this.since ??= Date.now();
    this.last = error;
    return this.exceeded() ? new KafkaOutageError(this.limitMs, error) : new KafkaUnavailableError(operation, error);
  }

  recovered(): void {
    this.since = undefined;
    this.last = undefined;
  }

  private exceeded(): boolean {
    return this.since !== undefined && Date.now() - this.since >= this.limitMs;
  }

  /** Why the sink is not ready while Kafka is retried or silent; undefined when Kafka is fine. */
  reason(): string | undefined {
    const silentMs = Date.now() - this.heardAt;
    if (this.since === undefined)
      return silentMs < KAFKA_SILENCE_MS
        ? undefined
        : `no answer from Kafka for ${Math.round(silentMs / 1000)} s (no request answered)`;
    const seconds = Math.round((Date.now() - this.since) / 1000);
    return `Kafka unavailable for ${seconds} s, retrying for up to ${Math.round(this.limitMs / 1000)} s: ${describeError(this.last)}`;
  }
}
