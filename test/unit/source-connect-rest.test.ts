/**
 * The Kafka-Connect-shaped routes over fake tasks: the status shape and its state mapping (a task
 * whose every polled resource is paused is PAUSED, a failed one FAILED with its trace), which
 * tasks `POST …/restart` restarts for each combination of includeTasks and onlyFailed (204 or 202
 * as Kafka Connect answers), pause and resume of every polled resource (children excluded),
 * unknown names, and the offsets without the pause records. Plus reading pauses back from offsets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RouteResult, type Route } from '../../common/ops-server.js';
import { connectRoutes, type ConnectStatus } from '../../connector/source/connect-rest.js';
import type { SourceOffset } from '../../connector/source/offsets.js';
import { StatusBoard } from '../../connector/source/status.js';
import { PAUSED, pausedResources, targetStatePartition } from '../../connector/source/target-state.js';
import type { SourceTask } from '../../connector/source/task.js';

const NAME = 'bookeo-connect-source';

function fakeTask(account: string, calls: string[], offsets: Map<string, SourceOffset>): SourceTask {
  const unused = (): never => assert.fail('not used here');
  return {
    account,
    connector: NAME,
    start: unused,
    pollOnce: unused,
    run: unused,
    resnapshot: unused,
    backfillFrom: unused,
    sample: () => [],
    stop: unused,
    restartResource: unused,
    deliver: unused,
    catchUp: unused,
    pause: async (resource) => void calls.push(`pause ${account}/${resource}`),
    resume: async (resource) => void calls.push(`resume ${account}/${resource}`),
    restart: async () => void calls.push(`restart ${account}`),
    offsets: () => offsets,
  };
}

function setup(): { routes: Route[]; calls: string[]; status: StatusBoard } {
  const calls: string[] = [];
  const status = new StatusBoard();
  const offsets = new Map<string, SourceOffset>([
    ['bookings', { cursor: 1 }],
    [targetStatePartition('customers'), PAUSED],
  ]);
  const tasks = ['acme', 'globex'].map((account) => fakeTask(account, calls, offsets));
  for (const task of tasks) {
    status.task(task.account, ['bookings', 'customers', 'customers_people']);
    status.setTask(task.account, 'running');
  }
  return { routes: connectRoutes(tasks, status), calls, status };
}

async function call(routes: Route[], method: string, path: string, query = ''): Promise<unknown> {
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    const segments = route.path.split('/').filter(Boolean);
    if (route.method !== method || segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (
      !segments.every((segment, i) =>
        segment.startsWith(':') ? (params[segment.slice(1)] = parts[i] as string) : segment === parts[i],
      )
    )
      continue;
    return route.handler({ params, query: new URLSearchParams(query), body: undefined });
  }
  assert.fail(`no route ${method} ${path}`);
}

describe('Kafka Connect shaped routes', () => {
  it('lists the one connector and reports its status in Kafka Connect’s shape', async () => {
    const { routes, status } = setup();
    assert.deepEqual(await call(routes, 'GET', '/connectors'), [NAME]);
    status.update('acme', 'bookings', { state: 'paused' });
    status.update('acme', 'customers', { state: 'paused' });
    status.setTask('globex', 'failed', new Error('bad key'));
    const report = (await call(routes, 'GET', `/connectors/${NAME}/status`)) as ConnectStatus;
    assert.equal(report.name, NAME);
    assert.equal(report.type, 'source');
    assert.equal(report.connector.state, 'RUNNING', 'neither all paused nor all failed');
    assert.deepEqual(
      report.tasks.map(({ id, state, trace, account }) => ({ id, state, trace, account })),
      [
        { id: 0, state: 'PAUSED', trace: undefined, account: 'acme' },
        { id: 1, state: 'FAILED', trace: 'Error: bad key', account: 'globex' },
      ],
    );
    assert.ok(report.tasks.every((task) => task.worker_id.length > 0));
    const one = (await call(routes, 'GET', `/connectors/${NAME}/tasks/1/status`)) as { state: string };
    assert.equal(one.state, 'FAILED');
    await assert.rejects(call(routes, 'GET', '/connectors/other/status'), /connector other not found/);
    await assert.rejects(call(routes, 'GET', `/connectors/${NAME}/tasks/7/status`), /task 7/);
  });

  it('restarts what includeTasks and onlyFailed select, answering 204 or 202 as Kafka Connect does', async () => {
    const cases: Array<[string, number, string[]]> = [
      ['', 204, []],
      ['includeTasks=false&onlyFailed=false', 204, []],
      ['onlyFailed=true', 202, []],
      ['includeTasks=true', 202, ['restart acme', 'restart globex']],
      ['includeTasks=true&onlyFailed=true', 202, ['restart globex']],
    ];
    for (const [query, expected, restarted] of cases) {
      const { routes, calls, status } = setup();
      status.setTask('globex', 'failed', new Error('bad key'));
      const result = (await call(routes, 'POST', `/connectors/${NAME}/restart`, query)) as RouteResult;
      assert.ok(result instanceof RouteResult);
      assert.equal(result.status, expected, query);
      assert.deepEqual(calls, restarted, query);
      if (expected === 202) {
        const states = (result.body as ConnectStatus).tasks.map((task) => task.state);
        assert.deepEqual(
          states,
          ['acme', 'globex'].map((account) =>
            restarted.includes(`restart ${account}`) ? 'RESTARTING' : account === 'globex' ? 'FAILED' : 'RUNNING',
          ),
          query,
        );
      }
    }
  });

  it('pauses and resumes every polled resource of every task (children go with their parent), 202', async () => {
    const { routes, calls } = setup();
    assert.equal(((await call(routes, 'PUT', `/connectors/${NAME}/pause`)) as RouteResult).status, 202);
    assert.deepEqual(calls, [
      'pause acme/bookings',
      'pause acme/customers',
      'pause globex/bookings',
      'pause globex/customers',
    ]);
    calls.length = 0;
    await call(routes, 'PUT', `/connectors/${NAME}/resume`);
    assert.equal(calls.length, 4);
    assert.ok(calls.every((entry) => entry.startsWith('resume ')));
  });

  it('shows the offsets per account and resource, not the pause records', async () => {
    const { routes } = setup();
    const { offsets } = (await call(routes, 'GET', `/connectors/${NAME}/offsets`)) as {
      offsets: Array<{ partition: { account: string; resource: string }; offset: SourceOffset }>;
    };
    assert.deepEqual(offsets, [
      { partition: { account: 'acme', resource: 'bookings' }, offset: { cursor: 1 } },
      { partition: { account: 'globex', resource: 'bookings' }, offset: { cursor: 1 } },
    ]);
  });

  it('reads the paused resources back from the offsets; a tombstone (resume) forgets one', () => {
    const offsets = new Map<string, SourceOffset>([
      [targetStatePartition('bookings'), PAUSED],
      [targetStatePartition('payments'), { state: 'STARTED' }],
      ['customers', { lastFullAt: 1 }],
    ]);
    assert.deepEqual(pausedResources(offsets, ['bookings', 'payments', 'customers']), ['bookings']);
    offsets.delete(targetStatePartition('bookings'));
    assert.deepEqual(pausedResources(offsets, ['bookings', 'payments', 'customers']), []);
  });
});
