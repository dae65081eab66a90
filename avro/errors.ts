/**
 * Errors of the avro layer. Two families the caller must tell apart:
 * - AvroRecordError: this one record cannot be written (type conflict, bad value, a schema change
 *   the registry refuses). Never retriable; the source puts the record in the dead-letter topic
 *   with `reason`, and carries on with the others.
 * - SchemaRegistryError: the registry failed or refused us. Retriable for network/5xx/429; the
 *   rest (auth, a compatibility-level mismatch, an invalid schema) needs a human and stops the task.
 */
import { ConnectError } from '../common/errors.js';

export class AvroRecordError extends ConnectError {
  /** Where in the record, e.g. `bookings.value.price.totalGross.amount`; the record root when not field-specific. */
  readonly path: string;
  /** One line for the dead-letter topic: `<path>: <problem>`. */
  readonly reason: string;

  constructor(path: string, problem: string, cause?: unknown) {
    super(`${path}: ${problem}`, { retriable: false, cause });
    this.path = path;
    this.reason = `${path}: ${problem}`;
  }
}

export interface SchemaRegistryErrorDetails {
  readonly status?: number;
  /** Confluent error_code, e.g. 409 / 42201 / 40401. */
  readonly errorCode?: number;
  readonly subject?: string;
  readonly retriable: boolean;
  readonly cause?: unknown;
}

export class SchemaRegistryError extends ConnectError {
  readonly status: number | undefined;
  readonly errorCode: number | undefined;
  readonly subject: string | undefined;

  constructor(message: string, details: SchemaRegistryErrorDetails) {
    super(message, { retriable: details.retriable, cause: details.cause });
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.subject = details.subject;
  }
}

/** The registry refused a schema as incompatible with the subject's history (HTTP 409, or a failed check). */
export class IncompatibleSchemaError extends SchemaRegistryError {
  readonly messages: readonly string[];

  constructor(subject: string, messages: readonly string[], status?: number) {
    const detail = messages.length > 0 ? messages.join('; ') : 'no detail given by the registry';
    super(`schema for subject ${subject} is incompatible with its registered versions: ${detail}`, {
      status,
      subject,
      retriable: false,
    });
    this.messages = messages;
  }
}

/** The subject already has another compatibility level than the one configured; we never change it silently. */
export class CompatibilityLevelMismatchError extends SchemaRegistryError {
  constructor(subject: string, actual: string, wanted: string) {
    super(
      `subject ${subject} has compatibility ${actual} in the registry but the connector is configured for ${wanted}; ` +
        `set the connector's compatibility to ${actual}, or change the subject with PUT /config/${subject} {"compatibility":"${wanted}"}`,
      { subject, retriable: false },
    );
  }
}
