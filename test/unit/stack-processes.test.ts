/**
 * The stack's view of a process it just started. While such a process execs its way to the service
 * (setpriv → postgres, say), /proc shows its command line only in part or not at all for a
 * moment, so that cannot tell "still starting" from "gone": the stack once took a healthy
 * PostgreSQL for dead that way. The exit event can.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { spawnDetached } from '../../deploy/stack/processes.js';
import { waitFor } from '../../testkit/wait-for.js';

describe('spawnDetached', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stack-processes-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a process alive through its exec chain, and exited once it exits', async () => {
    // sh execs sleep: the same PID changes program once, as setpriv does before the server.
    const started = spawnDetached(
      { command: '/bin/sh', args: ['-c', 'exec sleep 0.3'], cwd: dir },
      join(dir, 'run.log'),
      join(dir, 'run.pid'),
    );
    const seen: boolean[] = [];
    while (seen.length < 200) seen.push(started.exited());
    assert.ok(
      seen.every((exited) => !exited),
      'alive from the spawn on, through the exec',
    );
    await waitFor(() => started.exited(), { what: 'the process to exit', timeoutMs: 10_000, intervalMs: 20 });
  });

  it('refuses a program that cannot start, and leaves no unhandled error behind', () => {
    assert.throws(
      () =>
        spawnDetached(
          { command: join(dir, 'no-such-program'), args: [], cwd: dir },
          join(dir, 'missing.log'),
          join(dir, 'missing.pid'),
        ),
      /could not start .*no-such-program/,
    );
  });
});
