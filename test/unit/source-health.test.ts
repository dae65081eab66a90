/**
 * How the source tells it is unwell: /readyz's reason turns on once a resource has failed for
 * longer than the configured time (naming account, resource, since when and the error) and off at
 * its next success; the freshness, failure-streak and cursor-lag gauges are computed when scraped,
 * so they move while nothing polls, and a stopped source's series go away.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createSourceMetrics, type ResourceSample } from '../../connector/source/metrics.js';
import { StatusBoard } from '../../connector/source/status.js';

const T0 = Date.parse('2026-06-01T10:00:00Z');

describe('source readiness', () => {
  it('turns not ready only once a resource has been failing for longer than unhealthyAfter, and ready at its next success', () => {
    let now = T0;
    const status = new StatusBoard({ unhealthyAfterMs: 60_000, clock: () => now });
    status.task('acme', ['bookings', 'customers']);
    status.setTask('acme', 'running');
    assert.equal(status.notReadyReason(), undefined);

    status.failed('acme', 'bookings', new Error('Kafka transaction failed: Connection error'), T0);
    now = T0 + 30_000;
    status.failed('acme', 'bookings', new Error('Kafka transaction failed: Connection error'), now);
    now = T0 + 60_000;
    assert.equal(status.notReadyReason(), undefined, 'failing, but not for longer than unhealthyAfter');
    now = T0 + 60_001;
    assert.equal(
      status.notReadyReason(),
      'account acme, resource bookings: failing since 2026-06-01T10:00:00.000Z (2 polls in a row): Error: Kafka transaction failed: Connection error',
    );
    assert.equal(status.get('acme')?.resources.bookings?.consecutiveFailures, 2);

    status.succeeded('acme', 'bookings');
    assert.equal(status.notReadyReason(), undefined);
    assert.deepEqual(
      { ...status.get('acme')?.resources.bookings, cursor: undefined },
      {
        state: 'running',
        cursor: undefined,
        records: 0,
        apiCalls: 0,
        lastCommitAt: null,
        lastError: null,
        progress: null,
        consecutiveFailures: 0,
        failingSince: null,
      },
    );
  });

  it('names every resource failing too long, and a task that stopped for good first', () => {
    let now = T0;
    const status = new StatusBoard({ unhealthyAfterMs: 1_000, clock: () => now });
    status.task('acme', ['bookings', 'payments']);
    status.setTask('acme', 'running');
    status.failed('acme', 'bookings', new Error('a'), T0);
    status.failed('acme', 'payments', new Error('b'), T0);
    now = T0 + 5_000;
    assert.match(
      status.notReadyReason() ?? '',
      /resource bookings: .*Error: a; account acme, resource payments: .*Error: b$/,
    );
    status.setTask('acme', 'failed', new Error('fenced'));
    assert.equal(status.notReadyReason(), 'task acme failed: Error: fenced');
  });

  it('without a threshold, failures never make it unready (the board `run` builds its route list from)', () => {
    const status = new StatusBoard({ clock: () => T0 + 10 ** 9 });
    status.task('acme', ['bookings']);
    status.setTask('acme', 'running');
    status.failed('acme', 'bookings', new Error('x'), T0);
    assert.equal(status.notReadyReason(), undefined);
  });
});

describe('source status: Bookeo API calls per resource', () => {
  it('counts the calls answered for a resource of the task, and ignores other accounts and labels', () => {
    const status = new StatusBoard({ unhealthyAfterMs: 0 });
    status.task('acme', ['bookings', 'customers']);
    status.answered('acme', 'bookings');
    status.answered('acme', 'bookings');
    status.answered('acme', 'customers');
    status.answered('acme', 'customers_people/123');
    status.answered('other', 'bookings');
    const resources = status.get('acme')?.resources;
    assert.deepEqual([resources?.bookings?.apiCalls, resources?.customers?.apiCalls], [2, 1]);
  });
});

describe('source gauges computed at scrape time', () => {
  const value = (text: string, name: string, resource: string): number | undefined => {
    const line = text
      .split('\n')
      .find((candidate) => candidate.startsWith(`${name}{account="acme",resource="${resource}"}`));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };

  it('reads the samplers at every scrape, and drops the series of a sampler removed', async () => {
    const registry = createMetricsRegistry('gauge_test_');
    const metrics = createSourceMetrics(registry);
    let samples: ResourceSample[] = [
      {
        account: 'acme',
        resource: 'bookings',
        sinceLastCommitSeconds: 3,
        consecutiveFailures: 0,
        cursorLagSeconds: 65,
      },
    ];
    const untrack = metrics.track(() => samples);
    let text = await registry.metrics();
    assert.equal(value(text, 'bookeo_connect_source_since_last_commit_seconds', 'bookings'), 3);
    assert.equal(value(text, 'bookeo_connect_source_cursor_lag_seconds', 'bookings'), 65);

    // Nothing sets the gauges: the next scrape reads what the sampler says now.
    samples = [
      {
        account: 'acme',
        resource: 'bookings',
        sinceLastCommitSeconds: 40,
        consecutiveFailures: 2,
        cursorLagSeconds: 102,
      },
      { account: 'acme', resource: 'customers', sinceLastCommitSeconds: 7, consecutiveFailures: 0 },
    ];
    text = await registry.metrics();
    assert.equal(value(text, 'bookeo_connect_source_since_last_commit_seconds', 'bookings'), 40);
    assert.equal(value(text, 'bookeo_connect_source_consecutive_failures', 'bookings'), 2);
    assert.equal(value(text, 'bookeo_connect_source_cursor_lag_seconds', 'bookings'), 102);
    assert.equal(value(text, 'bookeo_connect_source_since_last_commit_seconds', 'customers'), 7);
    assert.equal(
      value(text, 'bookeo_connect_source_cursor_lag_seconds', 'customers'),
      undefined,
      'no cursor, no cursor lag',
    );

    // A source started again on the same registry (tests, restarts) reports through the same gauges.
    const again = createSourceMetrics(registry).track(() => [
      { account: 'acme', resource: 'payments', sinceLastCommitSeconds: 1, consecutiveFailures: 0 },
    ]);
    untrack();
    text = await registry.metrics();
    assert.equal(
      value(text, 'bookeo_connect_source_since_last_commit_seconds', 'bookings'),
      undefined,
      "the stopped source's series are gone",
    );
    assert.equal(value(text, 'bookeo_connect_source_since_last_commit_seconds', 'payments'), 1);
    again();
  });
});
