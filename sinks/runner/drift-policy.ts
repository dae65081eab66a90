/**
 * Per-resource drift control at the sink (`sink.drift`): how many of the fields schema drift added
 * to a resource's schema its table takes. The first N by drift's rank (`driftOrder`, avro/drift.ts)
 * get columns, in every later version the same N; the others stay in Kafka, unloaded, until the cap
 * is raised (new records then fill them; `sink rebuild` fills older rows too). `freeze` is a cap of
 * zero: the table keeps the reviewed schema's columns and records keep landing. `sink.mode: freeze`
 * is another thing: no DDL at all, a new version stops the sink.
 */
import type { AppConfig } from '../../common/config/schema.js';
import { isResourceName } from '../../contract/resources.js';

/** The cap for a resource, undefined when its table takes every drift field. */
export function maxNewFieldsFor(drift: AppConfig['sink']['drift'], resource: string): number | undefined {
  const own = isResourceName(resource) ? drift.resources[resource] : undefined;
  if (own?.freeze === true) return 0;
  return own?.maxNewFields ?? drift.maxNewFields;
}
