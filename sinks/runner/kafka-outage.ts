/**
 * How the sink tells a passing Kafka failure from a lasting one, and how long it waits.
 *
 * kafkajs wraps errors in retry and crash wrappers (`KafkaJSNumberOfRetriesExceeded`,
 * `KafkaJSNonRetriableError` whose cause is a connection error), so the wrapper's own flag says
 * little: the whole cause chain is read. A broker going away, a coordinator moving or loading, a
 * request timing out, the consumer restarting after a crash: all pass, and are retried until Kafka
 * has been failing for `sink.kafkaOutageTimeoutSeconds`. Refusals no wait fixes (authorization,
 * invalid requests, our own bugs) are fatal at once. A rebalance's refusal is neither: the group
 * moved on and the new owner re-reads what was not committed.
 */
import { ConnectError, describeError, isProgrammingError } from '../../common/errors.js';

const REBALANCE_TYPES = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);
/** Broker answers that no retry changes: permissions, bad requests, unsupported versions. */
const PERMANENT_TYPE = /AUTHORIZATION_FAILED|^INVALID_|UNSUPPORTED|TOO_LARGE|SASL|ILLEGAL_SASL_STATE/;
const PERMANENT_NAMES = new Set(['KafkaJSSASLAuthenticationError', 'KafkaJSNotImplemented', 'KafkaJSInvariantViolation', 'KafkaJSServerDoesNotSupportApiKey']);

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let link = error; link !== undefined && link !== null && chain.length < 10; link = (link as { cause?: unknown }).cause) chain.push(link);
  return chain;
}

const typeOf = (link: unknown): string => String((link as { type?: unknown }).type ?? '');
const nameOf = (link: unknown): string => (link instanceof Error ? link.name : '');

export function isRebalanceError(error: unknown): boolean {
  return causeChain(error).some((link) => REBALANCE_TYPES.has(typeOf(link)));
}

/**
 * kafkajs answers a commit made while its consumer restarts after a crash without sending it (no
 * error, nothing committed); the committer notices (no commit event came) and says so with this.
 */
export class ConsumerRestartingError extends ConnectError {
  constructor() {
    super('the consumer is restarting after a crash; nothing was committed', { retriable: true });
  }
}

/** A Kafka failure that a wait can fix. Anything that is not a kafkajs error is not. */
export function isTransientKafkaError(error: unknown): boolean {
  const chain = causeChain(error);
  if (!chain.some((link) => nameOf(link).startsWith('KafkaJS') || link instanceof ConsumerRestartingError)) return false;
  return !chain.some((link) => isProgrammingError(link) || PERMANENT_NAMES.has(nameOf(link)) || PERMANENT_TYPE.test(typeOf(link)));
}

/** A passing Kafka failure, within the outage limit: retried. */
export class KafkaUnavailableError extends ConnectError {
  constructor(operation: string, cause: unknown) {
    super(`${operation}: Kafka unavailable: ${describeError(cause)}`, { cause, retriable: true });
  }
}

/** Kafka failed for longer than the limit; the sink stops and the process exits non-zero. */
export class KafkaOutageError extends ConnectError {
  constructor(limitMs: number, cause: unknown) {
    super(`Kafka unavailable for more than ${Math.round(limitMs / 1000)} s (sink.kafkaOutageTimeoutSeconds): ${describeError(cause)}`, { cause, retriable: false });
  }
}

/** A Kafka refusal that no wait fixes. */
export class KafkaRefusedError extends ConnectError {
  constructor(operation: string, cause: unknown) {
    super(`${operation}: Kafka refused: ${describeError(cause)}`, { cause, retriable: false });
  }
}

/**
 * A consumer that is fine answers a fetch or a heartbeat every few seconds, idle or not; kafkajs
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

  /** Kafka answered (a fetch, a heartbeat). */
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
    if (this.since === undefined) return silentMs < KAFKA_SILENCE_MS ? undefined : `no answer from Kafka for ${Math.round(silentMs / 1000)} s (no fetch, no heartbeat)`;
    const seconds = Math.round((Date.now() - this.since) / 1000);
    return `Kafka unavailable for ${seconds} s, retrying for up to ${Math.round(this.limitMs / 1000)} s: ${describeError(this.last)}`;
  }
}
