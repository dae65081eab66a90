/**
 * The resource catalog and the pure planning around it (windows, dedupe, snapshot diff/plan).
 * See each module's header for its rules; catalog.ts explains the cursor strategies.
 */
export { DAY_SECONDS, RESOURCE_CATALOG, UNLISTED_RESOURCES, resourceByName, selectResources } from './catalog.js';
export type { CursorStrategy, Pagination, ResourceDefinition, UnlistedResource, WindowedStrategy } from './catalog.js';
export { EntityKeyError, childPath, entityFingerprint, entityId, entityTime, parseBookeoTime } from './entity.js';
export { formatBookeoTime, maxWindowSeconds, parseBackfillFrom, planWindows, windowQuery } from './windows.js';
export type { TimeWindow, WindowPlanInput } from './windows.js';
export { decodeSeen, encodeSeen, isNewOrChanged, lookbackHorizon, rememberEmitted } from './dedupe.js';
export type { SeenEntry, SeenVersions } from './dedupe.js';
export { canonicalJson, contentHash } from './content-hash.js';
export { diffIncrement, diffSnapshot, groupByParent } from './snapshot-diff.js';
export type { SnapshotDiff, SnapshotEntry } from './snapshot-diff.js';
export { planSnapshot } from './snapshot-plan.js';
export type { SnapshotPlanInput, SnapshotStep } from './snapshot-plan.js';
export { listRequest } from './requests.js';
export type { RequestStep } from './requests.js';
