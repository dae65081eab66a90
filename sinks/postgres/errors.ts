/**
 * PostgreSQL failures → DestinationError, decided by data: the server's SQLSTATE (its class, the
 * first two characters, where that is precise enough), Node's socket and TLS error codes. pg's own
 * client-side failures carry no code (connection timeout, query timeout, connection ended); those
 * few are recognised by their fixed message. A password, wherever it came from, is cut out of every
 * message before it is stored, logged or shown.
 */
import pg from 'pg';
import { isProgrammingError } from '../../common/errors.js';
import { MASK } from '../../common/secrets.js';
import { isCertificateRefusal } from '../../common/tls.js';
import { DestinationError, SOCKET_ERROR_CODES, type DestinationErrorReason } from '../errors.js';

/** SQLSTATE classes and codes (PostgreSQL Appendix A) that say "try again later". */
const TRANSIENT: Readonly<Record<string, DestinationErrorReason>> = {
  '08': 'unavailable', // connection exception
  '53': 'overloaded', // insufficient resources: disk full, out of memory, too many connections
  '57P01': 'unavailable', // admin_shutdown
  '57P02': 'unavailable', // crash_shutdown
  '57P03': 'unavailable', // cannot_connect_now (starting up, recovering)
  '57014': 'timeout', // query_canceled: our statement_timeout
  '55P03': 'timeout', // lock_not_available
  '40001': 'overloaded', // serialization_failure
  '40P01': 'overloaded', // deadlock_detected
  '58000': 'unavailable', // system_error (I/O)
  '58030': 'unavailable', // io_error
};

/** A row the server cannot store as sent: retrying cannot help, the records go to the DLQ. */
const BAD_DATA: ReadonlySet<string> = new Set([
  '22', // data exception: invalid input syntax, numeric out of range, bad date, NUL byte, bad JSON
  '23502', // not_null_violation
  '23514', // check_violation (a constraint added by hand)
  '54000', // program_limit_exceeded (a value too large for an index row)
]);

/** Authentication and authorisation: a wrong password or role, which the message must state plainly. */
const AUTH_CLASS = '28';

/** pg's client-side failures, which have no code: message → reason. */
const CLIENT_MESSAGES: ReadonlyArray<readonly [RegExp, DestinationErrorReason]> = [
  [/timeout expired|connection timeout|Query read timeout/i, 'timeout'],
  [/Connection terminated|Client has encountered a connection error|not queryable/i, 'unavailable'],
];

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(MASK);
  return out;
}

function reasonOf(code: string): DestinationErrorReason {
  const byCode = TRANSIENT[code] ?? TRANSIENT[code.slice(0, 2)];
  if (byCode !== undefined) return byCode;
  return BAD_DATA.has(code) || BAD_DATA.has(code.slice(0, 2)) ? 'bad-data' : 'rejected';
}

/** The server's message with what helps to find the row or the fix: COPY's line and column, the detail, the hint. */
function serverMessage(error: pg.DatabaseError): string {
  const parts = [error.message];
  if (error.detail) parts.push(`detail: ${error.detail}`);
  if (error.hint) parts.push(`hint: ${error.hint}`);
  if (error.where) parts.push(`where: ${error.where}`);
  return parts.join('; ');
}

/** Classifies a failure of one operation; `what` names it (`write`, `prepare`), `table` is schema-qualified. */
export function classifyPostgresError(
  error: unknown,
  what: string,
  table: string | undefined,
  secrets: readonly string[],
): unknown {
  if (error instanceof DestinationError || isProgrammingError(error)) return error;
  const where = table === undefined ? what : `${what} (${table})`;
  const make = (reason: DestinationErrorReason, message: string, code?: string): DestinationError => {
    // The cause may be logged with its stack; it must not carry a secret either.
    if (error instanceof Error && secrets.length > 0) {
      error.message = redact(error.message, secrets);
      if (error.stack !== undefined) error.stack = redact(error.stack, secrets);
    }
    return new DestinationError(redact(`${where}: ${message}`, secrets), {
      reason,
      table,
      ...(code === undefined ? {} : { code }),
      cause: error,
    });
  };
  if (error instanceof pg.DatabaseError && typeof error.code === 'string') {
    const code = error.code;
    if (code.startsWith(AUTH_CLASS)) {
      return make(
        'rejected',
        `PostgreSQL refused the login (${code}): ${error.message} (check the user in postgres.connectionString and postgres.password)`,
        code,
      );
    }
    return make(reasonOf(code), `PostgreSQL error ${code}: ${serverMessage(error)}`, code);
  }
  const detail = error instanceof Error ? error.message : String(error);
  const nodeCode = (error as { code?: unknown } | null)?.code;
  if (typeof nodeCode === 'string' && SOCKET_ERROR_CODES.has(nodeCode))
    return make('unavailable', `PostgreSQL unreachable (${nodeCode}): ${detail}`, nodeCode);
  // Certificate refused (self-signed, unknown CA, wrong host name, expired): configuration, not an outage.
  if (typeof nodeCode === 'string' && isCertificateRefusal(nodeCode)) {
    return make(
      'rejected',
      `TLS: the server's certificate was refused (${nodeCode}): ${detail} (check postgres.ssl.ca and sslmode)`,
      nodeCode,
    );
  }
  if (/does not support SSL/i.test(detail))
    return make('rejected', `TLS: ${detail} (use sslmode=disable or enable ssl on the server)`);
  for (const [pattern, reason] of CLIENT_MESSAGES)
    if (pattern.test(detail))
      return make(
        reason,
        `PostgreSQL ${reason === 'timeout' ? 'did not answer in time' : 'connection lost'}: ${detail}`,
      );
  // Unknown kinds (a proxy closing the socket, a truncated answer) count as unavailable: a bounded
  // retry costs little, dead-lettering good rows for a network hiccup would lose data.
  return make('unavailable', `PostgreSQL request failed: ${detail}`);
}
