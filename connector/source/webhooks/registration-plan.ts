/**
 * Which webhooks an account needs and what to do to get there, as pure functions: the planner
 * behind `bookeo-connect webhooks sync` and the source's registration at start.
 *
 * Needed: one webhook per (domain, type) that the configured resources need, at
 * `<publicUrl>/<account>?domain=<d>&type=<t>` (Bookeo keeps the query; the receiver reads the
 * domain and type from it). Compared with what Bookeo lists for the account's API key:
 *   keep      ours, at the right URL and not blocked
 *   create    missing, blocked (a POST replaces it), at a stale URL of ours, or held by a webhook
 *             pointing elsewhere (Bookeo keeps one per domain and type: registering replaces it)
 *   delete    ours (under publicUrl) for a (domain, type) no configured resource needs
 * A webhook pointing elsewhere whose (domain, type) is not needed is never touched.
 */
import type { ResourceName } from '../../../contract/resources.js';
import type { Webhook, WebhookSpec } from '../../../bookeo/webhooks.js';
import { RECEIVED_WEBHOOKS, registeredUrl, type ReceivedDomain } from './delivery.js';

/** The resources whose changes a webhook of `domain` announces, in catalog terms (linked people change with their customer). */
export const DOMAIN_RESOURCES: Readonly<Record<ReceivedDomain, readonly ResourceName[]>> = {
  bookings: ['bookings'],
  customers: ['customers', 'customers_people'],
  payments: ['payments'],
};

/** A webhook registered by this deployment: its URL lies under the public URL. */
export function isOurs(publicUrl: string, url: string): boolean {
  const base = publicUrl.replace(/\/+$/, '');
  return url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`);
}

/** The webhooks the receiver publishes (RECEIVED_WEBHOOKS) whose domain changes a configured resource. */
export function neededWebhooks(publicUrl: string, account: string, resources: readonly ResourceName[]): WebhookSpec[] {
  return RECEIVED_WEBHOOKS.filter(([domain]) => DOMAIN_RESOURCES[domain].some((name) => resources.includes(name))).map(
    ([domain, type]) => ({ url: registeredUrl(publicUrl, account, domain, type), domain, type }),
  );
}

export type CreateReason = 'missing' | 'blocked' | 'stale-url' | 'replaces-foreign';

export type WebhookAction =
  | { readonly kind: 'keep'; readonly webhook: Webhook }
  | {
      readonly kind: 'create';
      readonly spec: WebhookSpec;
      readonly reason: CreateReason;
      /** The webhook Bookeo replaces with this one (blocked, stale or foreign). */
      readonly replaces?: Webhook;
    }
  | { readonly kind: 'delete'; readonly webhook: Webhook; readonly reason: 'not-needed' };

export interface RegistrationPlan {
  readonly account: string;
  readonly actions: readonly WebhookAction[];
  /** True when nothing is to be created or deleted. */
  readonly upToDate: boolean;
}

export function planWebhooks(input: {
  readonly publicUrl: string;
  readonly account: string;
  readonly needed: readonly WebhookSpec[];
  readonly listed: readonly Webhook[];
}): RegistrationPlan {
  const actions: WebhookAction[] = [];
  const claimed = new Set<Webhook>();
  for (const spec of input.needed) {
    const same = input.listed.filter((webhook) => webhook.domain === spec.domain && webhook.type === spec.type);
    const healthy = same.find((webhook) => webhook.url === spec.url && webhook.blockedTime === undefined);
    if (healthy !== undefined) {
      claimed.add(healthy);
      actions.push({ kind: 'keep', webhook: healthy });
      continue;
    }
    const current =
      same.find((webhook) => webhook.url === spec.url) ??
      same.find((webhook) => isOurs(input.publicUrl, webhook.url)) ??
      same[0];
    if (current !== undefined) claimed.add(current);
    actions.push({
      kind: 'create',
      spec,
      reason: createReason(input.publicUrl, spec, current),
      ...(current === undefined ? {} : { replaces: current }),
    });
  }
  for (const webhook of input.listed) {
    if (claimed.has(webhook) || !isOurs(input.publicUrl, webhook.url)) continue;
    actions.push({ kind: 'delete', webhook, reason: 'not-needed' });
  }
  return { account: input.account, actions, upToDate: actions.every((action) => action.kind === 'keep') };
}

function createReason(publicUrl: string, spec: WebhookSpec, current: Webhook | undefined): CreateReason {
  if (current === undefined) return 'missing';
  if (current.url === spec.url) return 'blocked';
  return isOurs(publicUrl, current.url) ? 'stale-url' : 'replaces-foreign';
}
