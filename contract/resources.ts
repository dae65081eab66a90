/**
 * The resources the source publishes, as its consumers see them: a name and the suffix of the
 * resource's topic. This is the one list: the source's catalog (how each one is fetched) and the
 * reviewed Avro schemas are keyed by these names, and sinks, reconcile and the demo read it here.
 * Listed in publishing order, a parent before its children. Names contain no `/` (the
 * idempotency key relies on it).
 */
export const RESOURCES = Object.freeze([
  { name: 'bookings', topicSuffix: 'bookings' },
  { name: 'customers', topicSuffix: 'customers' },
  { name: 'customers_people', topicSuffix: 'customers_people' },
  { name: 'settings_languages', topicSuffix: 'settings_languages' },
  { name: 'settings_products', topicSuffix: 'settings_products' },
  { name: 'resources', topicSuffix: 'resources' },
  { name: 'payments', topicSuffix: 'payments' },
  { name: 'webhooks', topicSuffix: 'webhooks' },
] as const);

export type ResourceName = (typeof RESOURCES)[number]['name'];

export const RESOURCE_NAMES: readonly ResourceName[] = Object.freeze(RESOURCES.map((resource) => resource.name));

export function isResourceName(name: string): name is ResourceName {
  return (RESOURCE_NAMES as readonly string[]).includes(name);
}

export function topicSuffixOf(resource: ResourceName): string {
  return (RESOURCES.find((candidate) => candidate.name === resource) as (typeof RESOURCES)[number]).topicSuffix;
}
