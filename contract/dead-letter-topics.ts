/**
 * Where dead letters go. The source writes its own to `source.deadLetterTopic`; each sink writes to
 * `sink.deadLetterTopic`, by default one topic per destination, so a sink never reads another's
 * failures as its own. Dead-letter topics are never compacted: two failed versions of one entity
 * must both stay visible.
 */

/** The source's dead-letter topic when `source.deadLetterTopic` is not configured. */
export const DEFAULT_SOURCE_DEAD_LETTER_TOPIC = 'bookeo-connect.dlq';

/** A sink's dead-letter topic: the configured one, else `bookeo-connect.dlq.sink-<destination>`. */
export function sinkDeadLetterTopic(configuredTopic: string | undefined, destinationName: string): string {
  return configuredTopic ?? `bookeo-connect.dlq.sink-${destinationName}`;
}

/**
 * The dead-letter topic of one of several sinks in one process (`run`): a configured topic gets the
 * destination as a suffix, so each sink's failures stay apart.
 */
export function siblingSinkDeadLetterTopic(configuredTopic: string | undefined, destinationName: string): string {
  return configuredTopic === undefined
    ? sinkDeadLetterTopic(undefined, destinationName)
    : `${configuredTopic}-${destinationName}`;
}
