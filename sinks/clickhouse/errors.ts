/**
 * ClickHouse failures → DestinationError, decided by data (the engine's numeric error code, Node's
 * socket or TLS error code, our own abort signal), never by message text.
 */
import { ClickHouseError } from '@clickhouse/client';
import { isProgrammingError } from '../../common/errors.js';
import { isCertificateRefusal } from '../../common/tls.js';
import { DestinationError, SOCKET_ERROR_CODES, type DestinationErrorReason } from '../errors.js';

/** Engine error codes (ClickHouse src/Common/ErrorCodes.cpp) that say "try again later". */
const TRANSIENT_CODES: Readonly<Record<number, DestinationErrorReason>> = {
  159: 'timeout', // TIMEOUT_EXCEEDED
  209: 'timeout', // SOCKET_TIMEOUT
  210: 'unavailable', // NETWORK_ERROR
  202: 'overloaded', // TOO_MANY_SIMULTANEOUS_QUERIES
  241: 'overloaded', // MEMORY_LIMIT_EXCEEDED
  242: 'unavailable', // TABLE_IS_READ_ONLY
  252: 'overloaded', // TOO_MANY_PARTS
  285: 'unavailable', // TOO_FEW_LIVE_REPLICAS
  319: 'unavailable', // UNKNOWN_STATUS_OF_INSERT (the token makes the retry safe)
  425: 'unavailable', // SYSTEM_ERROR
  999: 'unavailable', // KEEPER_EXCEPTION
};

/** Engine error codes that mean a row cannot be stored as sent: retrying cannot help, the records go to the DLQ. */
const BAD_DATA_CODES: ReadonlySet<number> = new Set([
  6, // CANNOT_PARSE_TEXT
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  32, // ATTEMPT_TO_READ_AFTER_EOF
  33, // CANNOT_READ_ALL_DATA
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  407, // DECIMAL_OVERFLOW
]);

function engineCode(error: ClickHouseError): number {
  return Number(error.code);
}

/**
 * Classifies a failure of one request. `signal` is the request's own timeout signal: when it has
 * fired, the failure is our timeout whatever the client made of it. Errors that are none of the
 * known kinds (a proxy's 502 page, a truncated response) count as unavailable: a bounded retry
 * costs little, dead-lettering good rows for a network hiccup would lose data.
 */
export function classifyClickHouseError(
  error: unknown,
  what: string,
  table: string | undefined,
  signal?: AbortSignal,
): unknown {
  if (error instanceof DestinationError || isProgrammingError(error)) return error;
  const where = table === undefined ? what : `${what} (${table})`;
  if (signal?.aborted === true) {
    return new DestinationError(`${where}: ClickHouse did not answer in time`, {
      reason: 'timeout',
      table,
      cause: error,
    });
  }
  if (error instanceof ClickHouseError) {
    const code = engineCode(error);
    const reason: DestinationErrorReason =
      TRANSIENT_CODES[code] ?? (BAD_DATA_CODES.has(code) ? 'bad-data' : 'rejected');
    return new DestinationError(`${where}: ClickHouse error ${code} ${error.type ?? ''}: ${error.message.trim()}`, {
      reason,
      table,
      code: String(code),
      cause: error,
    });
  }
  const socketCode = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  // A refused certificate is configuration, not an outage: retrying cannot help.
  if (isCertificateRefusal(socketCode)) {
    return new DestinationError(
      `${where}: TLS: the server's certificate was refused (${String(socketCode)}): ${detail} (check clickhouse.tls.ca and the URL's host)`,
      { reason: 'rejected', table, code: String(socketCode), cause: error },
    );
  }
  if (typeof socketCode === 'string' && SOCKET_ERROR_CODES.has(socketCode)) {
    return new DestinationError(`${where}: ClickHouse unreachable (${socketCode})`, {
      reason: 'unavailable',
      table,
      code: socketCode,
      cause: error,
    });
  }
  return new DestinationError(`${where}: ClickHouse request failed: ${detail}`, {
    reason: 'unavailable',
    table,
    cause: error,
  });
}
