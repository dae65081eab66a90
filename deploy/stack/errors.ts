/** The two ways the stack fails that a user must be told about plainly. */
import { ConnectError } from '../../common/errors.js';

/** A tool the stack needs is missing; the message says how to install it. Not retriable. */
export class PrerequisiteError extends ConnectError {
  constructor(what: string, howToGetIt: string) {
    super(`missing prerequisite: ${what}. ${howToGetIt}`);
  }
}

/** A service did not come up (or an install step failed); carries the tail of its log. */
export class ServiceFailedError extends ConnectError {
  readonly service: string;
  readonly logTail: string;

  constructor(service: string, message: string, logTail: string, cause?: unknown) {
    super(`${service}: ${message}`, { cause });
    this.service = service;
    this.logTail = logTail;
  }
}
