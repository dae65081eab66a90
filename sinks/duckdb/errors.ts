/**
 * DuckDB failures → DestinationError. The node binding throws a plain Error whose message starts
 * with DuckDB's exception type (`Conversion Error: …`, `IO Error: …`; the names of the engine's
 * ExceptionType enum), the only structured part it exposes, so the type is read from there.
 *
 * An embedded engine has no network to lose: what can be waited out is a file held by another
 * process (a DuckDB CLI or Python session, a second sink), a full disk, or memory. Everything else
 * either is the data's fault or needs a person.
 */
import { isProgrammingError } from '../../common/errors.js';
import { DestinationError, type DestinationErrorReason } from '../errors.js';

/** DuckDB exception types → reason. Values the appender would refuse are caught earlier (vectors.ts); these are the SQL-side casts. */
const REASON_BY_TYPE: Readonly<Record<string, DestinationErrorReason>> = {
  Conversion: 'bad-data',
  'Out of Range': 'bad-data',
  Decimal: 'bad-data',
  IO: 'unavailable',
  'Out of Memory': 'overloaded',
  // Another transaction touched the same catalog entry or rows; the batch is simply retried.
  TransactionContext: 'unavailable',
};

const EXCEPTION_TYPE = /^([A-Za-z][A-Za-z ]*?) Error: /;

export function duckdbExceptionType(error: unknown): string | undefined {
  return error instanceof Error ? EXCEPTION_TYPE.exec(error.message)?.[1] : undefined;
}

export function classifyDuckDBError(error: unknown, what: string, table: string | undefined): unknown {
  if (error instanceof DestinationError || isProgrammingError(error)) return error;
  const where = table === undefined ? what : `${what} (${table})`;
  const type = duckdbExceptionType(error);
  const detail = error instanceof Error ? error.message : String(error);
  const reason = (type === undefined ? undefined : REASON_BY_TYPE[type]) ?? 'rejected';
  return new DestinationError(`${where}: DuckDB ${detail}`, { reason, table, code: type, cause: error });
}

/**
 * Opening the file. Held by another process: retriable, the runner waits until it is released (and
 * says so in its logs and /readyz) rather than failing a sink an analyst's open CLI session blocks.
 * DuckDB names the lock only in its message. Any other failure (permissions, not a DuckDB file)
 * needs a person.
 */
export function classifyOpenError(error: unknown, path: string): unknown {
  if (isProgrammingError(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const type = duckdbExceptionType(error);
  if (type === 'IO' && /could not set lock/i.test(detail)) {
    return new DestinationError(
      `DuckDB file ${path} is held by another process (close the DuckDB CLI/Python session or stop the other sink using it): ${detail}`,
      {
        reason: 'unavailable',
        code: type,
        cause: error,
      },
    );
  }
  return new DestinationError(`cannot open DuckDB file ${path}: ${detail}`, {
    reason: 'rejected',
    code: type,
    cause: error,
  });
}
