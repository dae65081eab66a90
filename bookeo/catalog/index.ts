/**
 * Bookeo's resources as the connector knows them: how each is listed (requests, windows), an
 * entity's id, version time and content hash. The source and reconcile read Bookeo through it.
 * See each module's header for its rules; catalog.ts explains the cursor strategies.
 */
export { DAY_SECONDS, RESOURCE_CATALOG, UNLISTED_RESOURCES, resourceByName, selectResources } from './catalog.js';
export type { CursorStrategy, Pagination, ResourceDefinition, UnlistedResource, WindowedStrategy } from './catalog.js';
export { EntityKeyError, childPath, entityFingerprint, entityId, entityTime, parseBookeoTime } from './entity.js';
export { formatBookeoTime, maxWindowSeconds, parseBackfillFrom, planWindows, windowQuery } from './windows.js';
export type { TimeWindow, WindowPlanInput } from './windows.js';
export { canonicalJson, contentHash } from './content-hash.js';
export { listRequest } from './requests.js';
export type { RequestStep } from './requests.js';
