/**
 * Brings one account's webhooks to the plan (registration-plan.ts): list what Bookeo holds, plan,
 * then register what is missing, blocked or stale and delete ours that nothing needs. Every run
 * lists first, so running it again after a failure (or twice) is safe: what was done is seen and
 * not done again. Shared by `bookeo-connect webhooks` and the source's registration at start.
 */
import type { AppConfig } from '../../../common/config/schema.js';
import { ConfigError, type ConfigProblem } from '../../../common/errors.js';
import type { BookeoAccountClient, BookeoAccountWriter } from '../../../bookeo/client.js';
import { RESOURCE_CATALOG } from '../../../bookeo/catalog/catalog.js';
import { bookeoConfigProblems } from '../../../bookeo/config-problems.js';
import { createWebhook, deleteWebhook, listWebhooks, type Webhook } from '../../../bookeo/webhooks.js';
import type { ResourceName } from '../../../contract/resources.js';
import { isOurs, neededWebhooks, planWebhooks, type RegistrationPlan } from './registration-plan.js';

export interface AccountWebhooks {
  readonly id: string;
  readonly reader: BookeoAccountClient;
  readonly writer: BookeoAccountWriter;
}

export interface SyncOutcome {
  readonly plan: RegistrationPlan;
  /** What Bookeo listed before the sync. */
  readonly listed: readonly Webhook[];
}

/** The resources the source publishes (all of the catalog unless `source.resources` chooses). */
export function configuredResources(config: AppConfig): ResourceName[] {
  return RESOURCE_CATALOG.map((definition) => definition.name).filter(
    (name) => config.source.resources === undefined || config.source.resources.includes(name),
  );
}

/** The configuration registration needs, checked at the edge: Bookeo's problems plus the public URL. */
export function registrationConfigProblems(config: AppConfig): ConfigProblem[] {
  const problems = bookeoConfigProblems(config);
  if (config.webhooks.publicUrl === undefined)
    problems.push({ key: 'webhooks.publicUrl', expected: 'the https:// URL Bookeo calls', found: 'nothing' });
  return problems;
}

/** The public URL of a configuration that passed registrationConfigProblems. */
export function publicUrlOf(config: AppConfig): string {
  const url = config.webhooks.publicUrl;
  if (url === undefined) throw new ConfigError(registrationConfigProblems(config));
  return url;
}

export async function syncAccountWebhooks(input: {
  readonly account: AccountWebhooks;
  readonly publicUrl: string;
  readonly resources: readonly ResourceName[];
  readonly signal?: AbortSignal;
}): Promise<SyncOutcome> {
  const { account, publicUrl } = input;
  const options = input.signal === undefined ? {} : { signal: input.signal };
  const listed = await listWebhooks(account.reader, options);
  const plan = planWebhooks({
    publicUrl,
    account: account.id,
    needed: neededWebhooks(publicUrl, account.id, input.resources),
    listed,
  });
  for (const action of plan.actions) {
    if (action.kind === 'create') await createWebhook(account.writer, action.spec, options);
    else if (action.kind === 'delete') await deleteWebhook(account.writer, action.webhook.id, options);
  }
  return { plan, listed };
}

/** Deletes every webhook of ours (under the public URL) of the account; returns those deleted. */
export async function deleteOurWebhooks(input: {
  readonly account: AccountWebhooks;
  readonly publicUrl: string;
}): Promise<Webhook[]> {
  const ours = (await listWebhooks(input.account.reader)).filter((webhook) => isOurs(input.publicUrl, webhook.url));
  const deleted: Webhook[] = [];
  for (const webhook of ours) if (await deleteWebhook(input.account.writer, webhook.id)) deleted.push(webhook);
  return deleted;
}
