/**
 * The idempotency key of a record (header `bookeo.idempotency-key`): `<account>/<resource>/<id>@<version>`,
 * the version being the sha1 of the canonical JSON of the entity as Bookeo sent it (`deleted` for a
 * tombstone). Equal for equal versions, unique across accounts and resources, and readable, so the
 * published state (change detection, reconcile) is rebuilt from the headers alone without decoding keys.
 */

/** The version of a tombstone in its idempotency key. */
export const DELETED = 'deleted';

/** What an idempotency key names: an entity of an account and resource, at a version (content hash, or DELETED). */
export interface EntityVersion {
  readonly account: string;
  readonly resource: string;
  readonly id: string;
  readonly version: string;
}

export function idempotencyKey(entity: EntityVersion): string {
  return `${entity.account}/${entity.resource}/${entity.id}@${entity.version}`;
}

/**
 * The parts of an idempotency key, or undefined for text that is not one. Unambiguous whatever the
 * id holds: account ids and resource names contain no `/` (config and the resource list say so),
 * and the version (hex or `deleted`) no `@`.
 */
export function parseIdempotencyKey(text: string | undefined): EntityVersion | undefined {
  if (text === undefined) return undefined;
  const accountEnd = text.indexOf('/');
  const resourceEnd = text.indexOf('/', accountEnd + 1);
  const versionStart = text.lastIndexOf('@');
  if (
    accountEnd <= 0 ||
    resourceEnd <= accountEnd + 1 ||
    versionStart <= resourceEnd + 1 ||
    versionStart === text.length - 1
  )
    return undefined;
  return {
    account: text.slice(0, accountEnd),
    resource: text.slice(accountEnd + 1, resourceEnd),
    id: text.slice(resourceEnd + 1, versionStart),
    version: text.slice(versionStart + 1),
  };
}
