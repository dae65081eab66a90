/**
 * How a failure of the Kafka client reads: passing (a wait fixes it), a rebalance's refusal, or
 * neither. kafkajs wraps errors in retry and crash wrappers (`KafkaJSNumberOfRetriesExceeded`,
 * `KafkaJSNonRetriableError` whose cause is a connection error), so the wrapper's own flag says
 * little: the whole cause chain is read. A broker going away, a coordinator moving or loading, a
 * request timing out, the consumer restarting after a crash: all pass. Refusals no wait fixes
 * (authorization, invalid requests, our own bugs) do not. A rebalance's refusal is neither: the
 * group moved on and the new owner re-reads what was not committed.
 */
import { ConnectError, isProgrammingError } from '../common/errors.js';

const REBALANCE_TYPES = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
]);
/** Broker answers that no retry changes: permissions, bad requests, unsupported versions. */
const PERMANENT_TYPE = /AUTHORIZATION_FAILED|^INVALID_|UNSUPPORTED|TOO_LARGE|SASL|ILLEGAL_SASL_STATE/;
const PERMANENT_NAMES = new Set([
  'KafkaJSSASLAuthenticationError',
  'KafkaJSNotImplemented',
  'KafkaJSInvariantViolation',
  'KafkaJSServerDoesNotSupportApiKey',
]);

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (
    let link = error;
    link !== undefined && link !== null && chain.length < 10;
    link = (link as { cause?: unknown }).cause
  )
    chain.push(link);
  return chain;
}

const typeOf = (link: unknown): string => String((link as { type?: unknown }).type ?? '');
const nameOf = (link: unknown): string => (link instanceof Error ? link.name : '');

export function isRebalanceError(error: unknown): boolean {
  return causeChain(error).some((link) => REBALANCE_TYPES.has(typeOf(link)));
}

/**
 * kafkajs answers a commit made while its consumer restarts after a crash without sending it (no
 * error, nothing committed); the group consumer notices (no commit event came) and says so with this.
 */
export class ConsumerRestartingError extends ConnectError {
  constructor() {
    super('the consumer is restarting after a crash; nothing was committed', { retriable: true });
  }
}

/** A Kafka failure that a wait can fix. Anything that is not a Kafka client error is not. */
export function isTransientKafkaError(error: unknown): boolean {
  const chain = causeChain(error);
  if (!chain.some((link) => nameOf(link).startsWith('KafkaJS') || link instanceof ConsumerRestartingError))
    return false;
  return !chain.some(
    (link) => isProgrammingError(link) || PERMANENT_NAMES.has(nameOf(link)) || PERMANENT_TYPE.test(typeOf(link)),
  );
}
