/**
 * Who may reach the ops server's REST API: on loopback the machine's own users; beyond it, only
 * holders of `http.bearerToken`, unless `http.allowUnauthenticated` opts out (on a network that is
 * protected otherwise), which the ops server then logs as a warning at every start. The rule is
 * part of the configuration's validation, so `config check` reports it before anything runs.
 */
import { isIP } from 'node:net';

/** `localhost`, 127.0.0.0/8, `::1` (and its IPv4-mapped form): reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  const v4 = bare.startsWith('::ffff:') ? bare.slice('::ffff:'.length) : bare;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** Why an `http` section may not be used as it is, or undefined when it may. */
export function unauthenticatedExposure(http: {
  readonly host: string;
  readonly bearerToken?: string | undefined;
  readonly allowUnauthenticated: boolean;
}): string | undefined {
  if (http.bearerToken !== undefined || http.allowUnauthenticated || isLoopbackHost(http.host)) return undefined;
  return `a bearer token (at least 16 characters) when http.host (${http.host}) is not loopback, or http.allowUnauthenticated: true`;
}
