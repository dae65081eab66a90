/**
 * The registration planner: which webhooks the configured resources need, at which URL, and what
 * to do given what Bookeo lists (keep, create for missing / blocked / stale / foreign-held,
 * delete ours no longer needed, never touch a foreign webhook nothing needs).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Webhook } from '../../bookeo/webhooks.js';
import {
  isOurs,
  neededWebhooks,
  planWebhooks,
  type WebhookAction,
} from '../../connector/source/webhooks/registration-plan.js';
import { registeredUrl } from '../../connector/source/webhooks/delivery.js';

const PUBLIC = 'https://hooks.acme.test/bookeo/';
const url = (domain: 'bookings' | 'customers' | 'payments', type: 'created' | 'updated' | 'deleted'): string =>
  registeredUrl(PUBLIC, 'acme', domain, type);

let nextId = 1;
const listed = (hook: Omit<Webhook, 'id'>): Webhook => ({ id: `W${nextId++}`, ...hook });

const summary = (actions: readonly WebhookAction[]): string[] =>
  actions.map((action) => {
    if (action.kind === 'keep') return `keep ${action.webhook.domain}/${action.webhook.type}`;
    if (action.kind === 'delete') return `delete ${action.webhook.id}`;
    return `create ${action.spec.domain}/${action.spec.type} ${action.reason}${action.replaces ? ` ${action.replaces.id}` : ''}`;
  });

describe('webhook registration plan', () => {
  it('builds the URL from the public URL, the account and the domain and type in the query', () => {
    assert.equal(url('bookings', 'updated'), 'https://hooks.acme.test/bookeo/acme?domain=bookings&type=updated');
    assert.equal(
      registeredUrl('https://h.test/x/', 'acme', 'payments', 'created'),
      'https://h.test/x/acme?domain=payments&type=created',
    );
    assert.ok(isOurs(PUBLIC, url('customers', 'deleted')));
    assert.ok(!isOurs(PUBLIC, 'https://hooks.acme.test/bookeo-other/acme?domain=bookings&type=created'));
  });

  it('needs bookings, customers (also for linked people, once) and payments created, nothing for settings', () => {
    const needed = neededWebhooks(PUBLIC, 'acme', [
      'bookings',
      'customers',
      'customers_people',
      'payments',
      'settings_products',
      'webhooks',
    ]);
    assert.deepEqual(
      needed.map((spec) => `${spec.domain}/${spec.type}`),
      [
        'bookings/created',
        'bookings/updated',
        'bookings/deleted',
        'customers/created',
        'customers/updated',
        'customers/deleted',
        'payments/created',
      ],
    );
    assert.deepEqual(neededWebhooks(PUBLIC, 'acme', ['settings_languages', 'resources']), []);
  });

  it('creates what is missing and keeps what is right', () => {
    const right = listed({ url: url('payments', 'created'), domain: 'payments', type: 'created' });
    const plan = planWebhooks({
      publicUrl: PUBLIC,
      account: 'acme',
      needed: neededWebhooks(PUBLIC, 'acme', ['bookings', 'payments']),
      listed: [right],
    });
    assert.deepEqual(summary(plan.actions), [
      'create bookings/created missing',
      'create bookings/updated missing',
      'create bookings/deleted missing',
      'keep payments/created',
    ]);
    assert.equal(plan.upToDate, false);
  });

  it('re-creates a blocked webhook of ours (the POST replaces it)', () => {
    const blocked = listed({
      url: url('payments', 'created'),
      domain: 'payments',
      type: 'created',
      blockedTime: '2026-01-01T00:00:00Z',
      blockedReason: 'Too many failed deliveries (HTTP 500)',
    });
    const plan = planWebhooks({
      publicUrl: PUBLIC,
      account: 'acme',
      needed: neededWebhooks(PUBLIC, 'acme', ['payments']),
      listed: [blocked],
    });
    assert.deepEqual(summary(plan.actions), [`create payments/created blocked ${blocked.id}`]);
  });

  it('re-creates one of ours at a stale URL, and deletes ours that nothing needs', () => {
    const stale = listed({
      url: `${PUBLIC}acme?domain=payments&type=updated`,
      domain: 'payments',
      type: 'created',
    });
    const unneeded = listed({ url: url('bookings', 'updated'), domain: 'bookings', type: 'updated' });
    const plan = planWebhooks({
      publicUrl: PUBLIC,
      account: 'acme',
      needed: neededWebhooks(PUBLIC, 'acme', ['payments']),
      listed: [stale, unneeded],
    });
    assert.deepEqual(summary(plan.actions), [`create payments/created stale-url ${stale.id}`, `delete ${unneeded.id}`]);
  });

  it('never touches a foreign webhook nothing needs, and says so when registering replaces one', () => {
    const foreignUnneeded = listed({ url: 'https://other.test/hook', domain: 'seatblocks', type: 'created' });
    const foreignBlocked = listed({
      url: 'https://other.test/customers',
      domain: 'customers',
      type: 'deleted',
      blockedTime: '2026-01-01T00:00:00Z',
    });
    const foreignOnNeeded = listed({ url: 'https://other.test/bookings', domain: 'customers', type: 'created' });
    const plan = planWebhooks({
      publicUrl: PUBLIC,
      account: 'acme',
      needed: neededWebhooks(PUBLIC, 'acme', ['customers', 'payments']),
      listed: [foreignUnneeded, foreignBlocked, foreignOnNeeded],
    });
    assert.deepEqual(summary(plan.actions), [
      `create customers/created replaces-foreign ${foreignOnNeeded.id}`,
      'create customers/updated missing',
      `create customers/deleted replaces-foreign ${foreignBlocked.id}`,
      'create payments/created missing',
    ]);
    assert.ok(!plan.actions.some((action) => action.kind === 'delete'));
  });

  it('is up to date when every needed webhook is ours, right and not blocked (a second sync does nothing)', () => {
    const needed = neededWebhooks(PUBLIC, 'acme', ['bookings']);
    const plan = planWebhooks({ publicUrl: PUBLIC, account: 'acme', needed, listed: needed.map(listed) });
    assert.equal(plan.upToDate, true);
    assert.deepEqual(
      plan.actions.map((action) => action.kind),
      ['keep', 'keep', 'keep'],
    );
  });
});
