/**
 * `bookeo-connect webhooks sync|list|delete -c <config> [--account id] [--json]`: the account's
 * webhooks at Bookeo, registered for what the configured resources need (registration-sync.ts).
 * `sync` is idempotent (a second run does nothing and says so), `list` marks ours and flags
 * blocked ones, `delete` removes ours only. Exit 2 on a bad configuration, 1 when Bookeo fails.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../../common/config/load.js';
import type { AppConfig } from '../../../common/config/schema.js';
import { ConfigError } from '../../../common/errors.js';
import { createLogger } from '../../../common/logger.js';
import { formatTable } from '../../../common/text-table.js';
import { createBookeoClientFromConfig, type BookeoClient } from '../../../bookeo/client.js';
import { listWebhooks, type Webhook } from '../../../bookeo/webhooks.js';
import { isOurs, type RegistrationPlan, type WebhookAction } from './registration-plan.js';
import {
  configuredResources,
  deleteOurWebhooks,
  publicUrlOf,
  registrationConfigProblems,
  syncAccountWebhooks,
  type AccountWebhooks,
} from './registration-sync.js';

interface WebhooksCommandOptions {
  readonly config?: string;
  readonly account?: string;
  readonly json?: boolean;
}

interface Session {
  readonly config: AppConfig;
  readonly publicUrl: string;
  readonly accounts: readonly AccountWebhooks[];
  readonly client: BookeoClient;
}

/** Loads and checks the configuration, then runs `body` with one client for the chosen accounts. */
async function withSession<T>(options: WebhooksCommandOptions, body: (session: Session) => Promise<T>): Promise<T> {
  const config = loadConfig({ file: options.config });
  const problems = registrationConfigProblems(config);
  const enabled = config.bookeo.accounts.filter((account) => account.enabled);
  const chosen = enabled.filter((account) => options.account === undefined || account.id === options.account);
  if (options.account !== undefined && chosen.length === 0)
    problems.push({
      key: '--account',
      expected: `an enabled account: ${enabled.map((account) => account.id).join(', ')}`,
      found: JSON.stringify(options.account),
    });
  if (problems.length > 0) throw new ConfigError(problems);
  const logger = createLogger({ ...config.log, name: 'bookeo-webhooks' });
  const client = createBookeoClientFromConfig(config.bookeo, logger);
  try {
    const accounts = chosen.map((account) => ({
      id: account.id,
      reader: client.forAccount(account),
      writer: client.writerFor(account),
    }));
    return await body({ config, publicUrl: publicUrlOf(config), accounts, client });
  } finally {
    await client.close();
  }
}

const print = (text: string): void => void process.stdout.write(`${text}\n`);

function blockedText(webhook: Webhook): string | null {
  if (webhook.blockedTime === undefined) return null;
  return `BLOCKED ${webhook.blockedTime}${webhook.blockedReason === undefined ? '' : ` (${webhook.blockedReason})`}`;
}

function actionRow(account: string, action: WebhookAction): Array<string | null> {
  switch (action.kind) {
    case 'keep':
      return [account, action.webhook.domain, action.webhook.type, 'keep', null, action.webhook.url];
    case 'create':
      return [
        account,
        action.spec.domain,
        action.spec.type,
        'create',
        action.replaces === undefined ? action.reason : `${action.reason}: ${action.replaces.url}`,
        action.spec.url,
      ];
    case 'delete':
      return [account, action.webhook.domain, action.webhook.type, 'delete', action.reason, action.webhook.url];
  }
}

function syncSummary(plans: readonly RegistrationPlan[]): string {
  const count = (kind: WebhookAction['kind']): number =>
    plans.reduce((sum, plan) => sum + plan.actions.filter((action) => action.kind === kind).length, 0);
  if (plans.every((plan) => plan.upToDate))
    return `nothing to do: ${count('keep')} webhook(s) already registered and not blocked`;
  return `${count('create')} registered, ${count('delete')} deleted, ${count('keep')} already right`;
}

export function registerWebhooksCommand(program: Command): void {
  const webhooks = program
    .command('webhooks')
    .description("Register, list or delete the accounts' Bookeo webhooks (webhooks.publicUrl)");
  const common = (command: Command): Command =>
    command
      .option('-c, --config <file>', 'configuration file (JSON or YAML); environment overrides apply')
      .option('-a, --account <id>', 'only this account (default: every enabled account)')
      .option('--json', 'print the result as JSON');

  common(
    webhooks
      .command('sync')
      .description(
        'Register the webhooks the configured resources need, re-create blocked ones, delete ours no longer needed',
      ),
  ).action((options: WebhooksCommandOptions) =>
    withSession(options, async ({ config, publicUrl, accounts }) => {
      const resources = configuredResources(config);
      const plans: RegistrationPlan[] = [];
      for (const account of accounts) plans.push((await syncAccountWebhooks({ account, publicUrl, resources })).plan);
      if (options.json === true)
        return print(JSON.stringify({ upToDate: plans.every((p) => p.upToDate), plans }, null, 2));
      const rows = plans.flatMap((plan) => plan.actions.map((action) => actionRow(plan.account, action)));
      print(formatTable(['account', 'domain', 'type', 'action', 'why', 'url'], rows));
      print(syncSummary(plans));
    }),
  );

  common(
    webhooks.command('list').description("List each account's webhooks, ours marked, blocked ones flagged"),
  ).action((options: WebhooksCommandOptions) =>
    withSession(options, async ({ publicUrl, accounts }) => {
      const listed: Array<{ account: string; ours: boolean } & Webhook> = [];
      for (const account of accounts)
        for (const webhook of await listWebhooks(account.reader))
          listed.push({ account: account.id, ours: isOurs(publicUrl, webhook.url), ...webhook });
      if (options.json === true) return print(JSON.stringify(listed, null, 2));
      const rows = listed.map((webhook) => [
        webhook.account,
        webhook.id,
        webhook.domain,
        webhook.type,
        webhook.ours ? 'ours' : null,
        blockedText(webhook),
        webhook.url,
      ]);
      print(formatTable(['account', 'id', 'domain', 'type', 'ours', 'blocked', 'url'], rows));
      const blocked = listed.filter((webhook) => webhook.ours && webhook.blockedTime !== undefined).length;
      if (blocked > 0) print(`${blocked} of ours blocked: run 'bookeo-connect webhooks sync' to re-create them`);
    }),
  );

  common(webhooks.command('delete').description('Delete our webhooks (those under webhooks.publicUrl)')).action(
    (options: WebhooksCommandOptions) =>
      withSession(options, async ({ publicUrl, accounts }) => {
        const deleted: Array<{ account: string } & Webhook> = [];
        for (const account of accounts)
          for (const webhook of await deleteOurWebhooks({ account, publicUrl }))
            deleted.push({ account: account.id, ...webhook });
        if (options.json === true) return print(JSON.stringify(deleted, null, 2));
        if (deleted.length === 0) return print('nothing to delete: no webhook of ours is registered');
        print(
          formatTable(
            ['account', 'id', 'domain', 'type', 'url'],
            deleted.map((webhook) => [webhook.account, webhook.id, webhook.domain, webhook.type, webhook.url]),
          ),
        );
        print(`${deleted.length} deleted`);
      }),
  );
}
