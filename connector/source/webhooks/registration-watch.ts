/**
 * The source's webhook registration (`webhooks.register: true`): once its tasks have started, each
 * account's webhooks are synced (registration-sync.ts), then checked every
 * `webhooks.checkIntervalSeconds`. A check that finds one of ours blocked shows it in the task's
 * status and in `bookeo_connect_source_webhooks_blocked{account}`, re-creates it (the sync's POST
 * replaces it) and catches up what Bookeo did not deliver through the task's own requests: a new
 * full listing for snapshot resources (customers), an immediate poll from the cursor for windowed
 * ones (bookings, payments). A webhook re-created for another reason after the first check (deleted
 * or moved by someone) is caught up the same way; at the first check only blocked ones are, the
 * tasks' own polls covering the time before.
 *
 * A failed check is logged, shown in status and retried with back-off (never longer than the check
 * interval); it never stops or slows polling.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { AppConfig } from '../../../common/config/schema.js';
import { describeError } from '../../../common/errors.js';
import type { Logger } from '../../../common/logger.js';
import { gauge, type Registry } from '../../../common/metrics.js';
import { backoffDelayMs } from '../../../common/retry.js';
import type { BookeoClient } from '../../../bookeo/client.js';
import { resourceByName } from '../../../bookeo/catalog/catalog.js';
import type { WebhookDomain } from '../../../bookeo/webhooks.js';
import type { ResourceName } from '../../../contract/resources.js';
import type { StatusBoard } from '../status.js';
import type { SourceTask } from '../task-api.js';
import { DOMAIN_RESOURCES, isOurs, type RegistrationPlan } from './registration-plan.js';
import { configuredResources, publicUrlOf, syncAccountWebhooks, type AccountWebhooks } from './registration-sync.js';

export interface WebhookRegistrationOptions {
  readonly config: AppConfig;
  readonly client: BookeoClient;
  readonly tasks: readonly SourceTask[];
  readonly status: StatusBoard;
  readonly metrics: Registry;
  readonly logger: Logger;
  readonly random?: () => number;
}

export interface WebhookRegistration {
  stop(): Promise<void>;
}

/** Back-off of a failing check: from a second up to the check interval. */
const FAILURE_BACKOFF = { retries: Number.POSITIVE_INFINITY, initialDelayMs: 1000, multiplier: 2 };

export function startWebhookRegistration(options: WebhookRegistrationOptions): WebhookRegistration {
  const { config, client, status } = options;
  const publicUrl = publicUrlOf(config);
  const resources = configuredResources(config);
  const intervalMs = config.webhooks.checkIntervalSeconds * 1000;
  const blockedGauge = gauge(options.metrics, {
    name: 'bookeo_connect_source_webhooks_blocked',
    help: 'Webhooks of ours that the last check found blocked by Bookeo (re-created by that check unless it failed)',
    labelNames: ['account'],
  });
  const controller = new AbortController();
  const random = options.random ?? Math.random;

  async function watch(task: SourceTask, account: AccountWebhooks): Promise<void> {
    const log = options.logger.child({ component: 'webhook-registration', account: account.id });
    const signal = controller.signal;
    const pending = new Set<ResourceName>();
    let checks = 0;
    let failures = 0;
    status.webhookRegistration(account.id, { state: 'starting' });
    while (!signal.aborted) {
      let waitMs = intervalMs;
      try {
        const { plan } = await syncAccountWebhooks({ account, publicUrl, resources, signal });
        const blocked = blockedOf(plan, publicUrl);
        for (const domain of missedDomains(plan, blocked, checks === 0))
          for (const name of catchUpResources(domain)) pending.add(name);
        blockedGauge.set({ account: account.id }, blocked.length);
        const previous = status.get(account.id)?.webhookRegistration;
        status.webhookRegistration(account.id, {
          state: 'synced',
          registered: plan.actions.filter((action) => action.kind !== 'delete').length,
          blocked: blocked.map((hook) => ({
            domain: hook.domain,
            type: hook.type,
            blockedTime: hook.blockedTime ?? '',
            blockedReason: hook.blockedReason ?? null,
          })),
          recreated: (previous?.recreated ?? 0) + blocked.length,
          lastCheckAt: new Date().toISOString(),
          lastError: null,
          consecutiveFailures: 0,
        });
        if (!plan.upToDate) log.info({ actions: describePlan(plan), blocked: blocked.length }, 'webhooks synced');
        await catchUp(task, pending, account.id, log);
        checks++;
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        waitMs = Math.min(intervalMs, backoffDelayMs({ ...FAILURE_BACKOFF, maxDelayMs: intervalMs }, failures, random));
        log.warn({ error: describeError(error), retryInMs: waitMs }, 'webhook registration failed, retrying');
        status.webhookRegistration(account.id, {
          state: 'failing',
          lastCheckAt: new Date().toISOString(),
          lastError: describeError(error),
          consecutiveFailures: failures,
        });
      }
      await delay(waitMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Asks the task to re-read each pending resource; what the task refuses now is asked again at the next check. */
  async function catchUp(task: SourceTask, pending: Set<ResourceName>, account: string, log: Logger): Promise<void> {
    if (pending.size === 0) return;
    const done: ResourceName[] = [];
    for (const resource of pending) {
      try {
        await task.catchUp(resource);
        done.push(resource);
      } catch (error) {
        log.warn(
          { resource, error: describeError(error) },
          'catch-up after a webhook gap refused, asked again at the next check',
        );
        status.webhookRegistration(account, { lastError: `catch-up of ${resource}: ${describeError(error)}` });
      }
    }
    for (const resource of done) pending.delete(resource);
    if (done.length === 0) return;
    log.info({ resources: done }, 'catching up what webhooks did not deliver');
    status.webhookRegistration(account, { lastCatchUp: { at: new Date().toISOString(), resources: done } });
  }

  /** Resources of the domain that the source publishes and that poll on their own (linked people go with customers). */
  function catchUpResources(domain: WebhookDomain): ResourceName[] {
    const announced: readonly ResourceName[] =
      domain in DOMAIN_RESOURCES ? DOMAIN_RESOURCES[domain as keyof typeof DOMAIN_RESOURCES] : [];
    return announced.filter((name) => resources.includes(name) && resourceByName(name).cursor.kind !== 'child');
  }

  const accountsById = new Map(config.bookeo.accounts.map((account) => [account.id, account]));
  const loops = options.tasks.flatMap((task) => {
    const account = accountsById.get(task.account);
    if (account === undefined) return [];
    const target = { id: account.id, reader: client.forAccount(account), writer: client.writerFor(account) };
    return [watch(task, target)];
  });

  return {
    async stop() {
      controller.abort();
      await Promise.all(loops);
      for (const task of options.tasks) blockedGauge.remove({ account: task.account });
    },
  };
}

/** Our webhooks the plan re-creates because Bookeo blocked them. */
function blockedOf(plan: RegistrationPlan, publicUrl: string) {
  return plan.actions.flatMap((action) =>
    action.kind === 'create' && action.replaces?.blockedTime !== undefined && isOurs(publicUrl, action.replaces.url)
      ? [action.replaces]
      : [],
  );
}

/** Domains whose changes may not have reached us: blocked ones always, any re-created one after the first check. */
function missedDomains(
  plan: RegistrationPlan,
  blocked: ReturnType<typeof blockedOf>,
  firstCheck: boolean,
): Set<WebhookDomain> {
  const domains = new Set(blocked.map((hook) => hook.domain));
  if (!firstCheck) for (const action of plan.actions) if (action.kind === 'create') domains.add(action.spec.domain);
  return domains;
}

function describePlan(plan: RegistrationPlan): string[] {
  return plan.actions
    .filter((action) => action.kind !== 'keep')
    .map((action) =>
      action.kind === 'create'
        ? `create ${action.spec.domain}/${action.spec.type} (${action.reason})`
        : `delete ${action.webhook.domain}/${action.webhook.type} (${action.reason})`,
    );
}
