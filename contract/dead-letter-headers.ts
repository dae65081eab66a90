/**
 * The dead-letter vocabulary, one for the source and the sinks. A dead letter keeps what it can of
 * the record (a sink: the original key, value and headers; the source: the entity's JSON) and adds:
 *   bookeo.dlq.topic          the topic the record belongs to (the source: the one it was meant for)
 *   bookeo.dlq.error.class    the class of the error
 *   bookeo.dlq.error.message  what went wrong (cut, so one huge error never makes the record too large)
 * and, written by a sink only:
 *   bookeo.dlq.partition, bookeo.dlq.offset  where it was read
 *   bookeo.dlq.schema.id      the value's schema id, when the bytes carried a readable one
 *   bookeo.dlq.stage          `decode` (not readable as Avro) or `write` (the destination refused it)
 *   bookeo.dlq.destination    the sink's destination
 *   bookeo.dlq.failed.at      when (ISO 8601, UTC)
 * `dlq redrive` marks what it sends back with `bookeo.dlq.redriven.from` (`<dlq topic>:<partition>:<offset>`).
 * Dead letters the source wrote before this vocabulary carry `dlq.topic`, `dlq.error-class` and
 * `dlq.reason` instead; readDeadLetterHeaders reads both.
 */
import { headerText, type RecordHeaders } from './headers.js';

export const DEAD_LETTER_HEADER = Object.freeze({
  topic: 'bookeo.dlq.topic',
  partition: 'bookeo.dlq.partition',
  offset: 'bookeo.dlq.offset',
  schemaId: 'bookeo.dlq.schema.id',
  stage: 'bookeo.dlq.stage',
  errorClass: 'bookeo.dlq.error.class',
  errorMessage: 'bookeo.dlq.error.message',
  destination: 'bookeo.dlq.destination',
  failedAt: 'bookeo.dlq.failed.at',
});

type DeadLetterFact = keyof typeof DEAD_LETTER_HEADER;
const FACTS = Object.keys(DEAD_LETTER_HEADER) as DeadLetterFact[];

/** The names the source used before, for the facts that have one. */
const LEGACY_SOURCE_HEADER: Readonly<Partial<Record<DeadLetterFact, string>>> = Object.freeze({
  topic: 'dlq.topic',
  errorClass: 'dlq.error-class',
  errorMessage: 'dlq.reason',
});

export const REDRIVEN_FROM_HEADER = 'bookeo.dlq.redriven.from';

/** Where a sink's record failed: it could not be decoded from Avro, or the destination refused it. */
export type DeadLetterStage = 'decode' | 'write';

export interface DeadLetterFacts {
  readonly topic: string;
  readonly errorClass: string;
  readonly errorMessage: string;
  readonly partition?: number;
  readonly offset?: number;
  readonly schemaId?: number | undefined;
  readonly stage?: DeadLetterStage;
  readonly destination?: string;
  readonly failedAt?: Date;
}

const MAX_MESSAGE_CHARS = 4_000;

/** The dead-letter headers for these facts (absent facts get no header). */
export function deadLetterHeaders(facts: DeadLetterFacts): Record<string, string> {
  const message =
    facts.errorMessage.length > MAX_MESSAGE_CHARS
      ? `${facts.errorMessage.slice(0, MAX_MESSAGE_CHARS)}…`
      : facts.errorMessage;
  // In this order on the wire; the schema id, often unknown, last.
  const values: Record<DeadLetterFact, string | undefined> = {
    topic: facts.topic,
    partition: facts.partition?.toString(),
    offset: facts.offset?.toString(),
    stage: facts.stage,
    errorClass: facts.errorClass,
    errorMessage: message,
    destination: facts.destination,
    failedAt: facts.failedAt?.toISOString(),
    schemaId: facts.schemaId?.toString(),
  };
  const headers: Record<string, string> = {};
  for (const [fact, value] of Object.entries(values))
    if (value !== undefined) headers[DEAD_LETTER_HEADER[fact as DeadLetterFact]] = value;
  return headers;
}

/** A dead letter's headers as text, each under its current name or, failing that, its former one. */
export type DeadLetterHeaderValues = { readonly [fact in DeadLetterFact]: string | undefined };

export function readDeadLetterHeaders(headers: RecordHeaders | undefined): DeadLetterHeaderValues {
  const read = (fact: DeadLetterFact): string | undefined => {
    const legacy = LEGACY_SOURCE_HEADER[fact];
    return (
      headerText(headers, DEAD_LETTER_HEADER[fact]) ?? (legacy === undefined ? undefined : headerText(headers, legacy))
    );
  };
  return Object.fromEntries(FACTS.map((fact) => [fact, read(fact)])) as DeadLetterHeaderValues;
}

const DEAD_LETTER_NAMES = new Set<string>([
  ...Object.values(DEAD_LETTER_HEADER),
  ...Object.values(LEGACY_SOURCE_HEADER),
]);

/** The headers of the original record: a dead letter's own, without the dead-letter ones (what a redrive sends back). */
export function originalHeaders<V>(headers: Readonly<Record<string, V>> | undefined): Record<string, V> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => !DEAD_LETTER_NAMES.has(name)));
}
