/**
 * The one error every destination throws. The runner acts on `retriable` (back off and retry the
 * same batch with the same token) or, when false, on `reason` (dead-letter the records of a bad
 * batch, stop on a frozen or incompatible table). Whether a reason is retriable is decided here,
 * once, so destinations only name what went wrong.
 */
import { ConnectError } from '../common/errors.js';

export const DESTINATION_ERROR_REASONS = {
  /** Server down, connection refused or reset, 5xx without an engine error code. */
  unavailable: true,
  timeout: true,
  /** The engine is alive but shedding load (too many parts, memory limit, too many queries). */
  overloaded: true,
  /** A row the engine cannot store (unparsable value, out of range, wrong type). */
  'bad-data': false,
  /** The Avro schema cannot be laid out as columns (recursive record, name clash, invalid schema). */
  schema: false,
  /** An existing column cannot hold values of the new schema version. */
  incompatible: false,
  /** The table is missing or different and the destination may not run DDL. */
  frozen: false,
  /** Any other refusal by the engine (syntax, permissions, unknown database). */
  rejected: false,
} as const satisfies Record<string, boolean>;

export type DestinationErrorReason = keyof typeof DESTINATION_ERROR_REASONS;

export interface DestinationErrorOptions {
  readonly reason: DestinationErrorReason;
  readonly table?: string;
  /** The engine's own error code, when it gave one (ClickHouse: numeric code). */
  readonly code?: string;
  readonly cause?: unknown;
}

export class DestinationError extends ConnectError {
  readonly reason: DestinationErrorReason;
  readonly table: string | undefined;
  readonly code: string | undefined;

  constructor(message: string, options: DestinationErrorOptions) {
    super(message, { retriable: DESTINATION_ERROR_REASONS[options.reason], cause: options.cause });
    this.reason = options.reason;
    this.table = options.table;
    this.code = options.code;
  }
}

/** A frozen destination (`sink.mode: freeze`) refusing DDL, with everything that differs. */
export function frozenTableError(table: string, problems: readonly string[]): DestinationError {
  return new DestinationError(
    `table ${table}: ${problems.join('; ')}; schema mode is freeze, so no DDL is run (apply a migration or use mode evolve)`,
    { reason: 'frozen', table },
  );
}

/**
 * Runs a destination's check that it can store a schema at all (its type mapping throws a
 * RangeError for e.g. a decimal wider than it holds): that is the schema's fault, said before any DDL.
 */
export function checkStorable(table: string, check: () => void): void {
  try {
    check();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new DestinationError(`table ${table}: ${error.message}`, { reason: 'schema', table, cause: error });
  }
}

/** Node and undici socket failures: the destination is unreachable or went away mid-request. */
export const SOCKET_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
]);
