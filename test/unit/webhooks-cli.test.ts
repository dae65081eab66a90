/**
 * `bookeo-connect webhooks sync|list|delete` as an operator runs it, against the simulator started
 * in this process (no stack): a second sync has nothing to do and says so, list marks ours and
 * flags the blocked one, delete removes ours only, and a configuration without a public URL exits 2
 * naming the key. No key in any output.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';

const CLI = join(import.meta.dirname, '..', '..', 'cli', 'main.ts');
const SECRET = 'sk-test-WEBHOOKCLI-31a9e0c4';
const API_KEY = 'ak-test-WEBHOOKCLI-7b20d5f1';
const PUBLIC = 'https://hooks.acme.test/bookeo';

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

function assertNoKeys(outcome: Outcome): void {
  for (const text of [outcome.stdout, outcome.stderr]) {
    assert.ok(!text.includes(SECRET), 'secretKey in the output');
    assert.ok(!text.includes(API_KEY), 'apiKey in the output');
  }
}

describe('bookeo-connect webhooks', () => {
  let simulator: RunningSimulator;
  const dir = mkdtempSync(join(tmpdir(), 'bc-webhooks-cli-'));
  const configFile = join(dir, 'config.json');
  const noUrlFile = join(dir, 'no-url.json');

  before(async () => {
    simulator = await startSimulator({ seed: 9, scale: 50, secretKey: SECRET, accounts: [{ apiKey: API_KEY }] });
    const base = {
      log: { level: 'warn' },
      bookeo: { baseUrl: simulator.url, secretKey: SECRET, accounts: [{ id: 'acme', apiKey: API_KEY }] },
      source: { resources: ['bookings', 'customers', 'customers_people', 'payments'] },
    };
    writeFileSync(configFile, JSON.stringify({ ...base, webhooks: { publicUrl: PUBLIC } }));
    writeFileSync(noUrlFile, JSON.stringify(base));
  });

  after(async () => {
    await simulator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('syncs, then has nothing to do; lists ours; deletes ours only', async () => {
    const first = await cli('webhooks', 'sync', '-c', configFile);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /7 registered, 0 deleted, 0 already right/);
    assert.match(
      first.stdout,
      /replaces-foreign: https:\/\/hooks\.example\.com\//,
      'says which foreign webhook it replaced',
    );

    const second = await cli('webhooks', 'sync', '-c', configFile);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /nothing to do: 7 webhook\(s\) already registered and not blocked/);
    assert.doesNotMatch(second.stdout, /\bcreate\b|\bdelete\b/);

    const json = await cli('webhooks', 'sync', '-c', configFile, '--json');
    assert.equal((JSON.parse(json.stdout) as { upToDate: boolean }).upToDate, true);

    const listed = await cli('webhooks', 'list', '-c', configFile, '--json');
    const hooks = JSON.parse(listed.stdout) as Array<{ ours: boolean; url: string; blockedTime?: string }>;
    assert.equal(hooks.filter((hook) => hook.ours).length, 7);
    assert.ok(hooks.every((hook) => hook.ours === hook.url.startsWith(`${PUBLIC}/acme?`)));
    assert.equal(hooks.filter((hook) => !hook.ours).length, 0, 'the seeded ones held domains and types we need');

    const table = await cli('webhooks', 'list', '-c', configFile);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /account\s+id\s+domain\s+type\s+ours\s+blocked\s+url/);
    assert.equal(table.stdout.match(/\bours\b/g)?.length, 8, 'the header and seven rows');

    const deleted = await cli('webhooks', 'delete', '-c', configFile);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /7 deleted/);
    const again = await cli('webhooks', 'delete', '-c', configFile, '--account', 'acme');
    assert.match(again.stdout, /nothing to delete/);
    for (const outcome of [first, second, json, listed, table, deleted, again]) assertNoKeys(outcome);
  });

  it('flags a blocked webhook in the listing, leaving the foreign ones it does not need alone', async () => {
    // A fresh account and only payments: the seeded webhooks (bookings, one blocked customers/deleted) are foreign and unneeded.
    const fresh = await startSimulator({ seed: 9, scale: 50, secretKey: SECRET, accounts: [{ apiKey: API_KEY }] });
    try {
      const file = join(dir, 'payments.json');
      writeFileSync(
        file,
        JSON.stringify({
          log: { level: 'warn' },
          bookeo: { baseUrl: fresh.url, secretKey: SECRET, accounts: [{ id: 'acme', apiKey: API_KEY }] },
          source: { resources: ['payments'] },
          webhooks: { publicUrl: PUBLIC },
        }),
      );
      const sync = await cli('webhooks', 'sync', '-c', file);
      assert.match(sync.stdout, /1 registered, 0 deleted, 0 already right/);
      const list = await cli('webhooks', 'list', '-c', file);
      assert.match(list.stdout, /BLOCKED .*Too many failed deliveries/);
      assert.equal(list.stdout.match(/hooks\.example\.com/g)?.length, 4, 'the four foreign webhooks are still there');
      assertNoKeys(sync);
      assertNoKeys(list);
    } finally {
      await fresh.close();
    }
  });

  it('exits 2 naming webhooks.publicUrl when it is missing, and an unknown --account', async () => {
    const noUrl = await cli('webhooks', 'sync', '-c', noUrlFile);
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.stderr, /webhooks\.publicUrl/);
    const unknown = await cli('webhooks', 'list', '-c', configFile, '--account', 'nobody');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--account/);
    assertNoKeys(noUrl);
    assertNoKeys(unknown);
  });
});
