/**
 * The error vocabulary shared by every part of bookeo-connect.
 *
 * One base class carries a `retriable` flag and an optional `retryAfterMs` hint; the retry module
 * reads only those two fields, so retry policy never depends on message text. Subclasses add the
 * facts a reader needs (which key, which status, which errorId) and never a secret.
 */
import { maskSecretsInText } from './secrets.js';

export interface ConnectErrorOptions {
  readonly retriable?: boolean;
  readonly cause?: unknown;
  /** Server-suggested wait (e.g. HTTP Retry-After) before the next attempt. */
  readonly retryAfterMs?: number;
}

export class ConnectError extends Error {
  readonly retriable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: ConnectErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** One problem found in a configuration: which key, what was expected, what was found. */
export interface ConfigProblem {
  readonly key: string;
  readonly expected: string;
  /** Already masked when the key holds a secret. */
  readonly found: string;
}

/** A configuration that failed validation; lists every problem at once. Never retriable. */
export class ConfigError extends ConnectError {
  readonly problems: readonly ConfigProblem[];

  constructor(reported: readonly ConfigProblem[], source = 'configuration') {
    // Masked at the source already; whatever text a check quoted is masked once more here.
    const problems = reported.map((problem) => ({ ...problem, found: maskSecretsInText(problem.found) }));
    const lines = problems.map((p) => `  - ${p.key}: expected ${p.expected}, found ${p.found}`);
    super(`invalid ${source} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
    this.problems = problems;
  }
}

/** Retries were exhausted; `cause` is the last failure. */
export class RetriesExhaustedError extends ConnectError {
  readonly attempts: number;

  constructor(operation: string, attempts: number, cause: unknown) {
    super(`${operation} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${describeError(cause)}`, {
      cause,
      retriable: false,
    });
    this.attempts = attempts;
  }
}

/** Errors thrown by bugs in our own code: they must never be retried. */
export function isProgrammingError(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof ReferenceError ||
    error instanceof SyntaxError
  );
}

/** Whether an error is worth another attempt. Foreign errors (from libraries) are consulted by their own flag when they have one. */
export function isRetriable(error: unknown): boolean {
  if (isProgrammingError(error)) return false;
  if (error instanceof ConnectError) return error.retriable;
  if (typeof error === 'object' && error !== null && 'retriable' in error) {
    return (error as { retriable: unknown }).retriable === true;
  }
  return false;
}

/** One line for logs, status and exit messages; a secret a foreign message carries (a URL's password) is masked. */
export function describeError(error: unknown): string {
  return maskSecretsInText(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}
