/**
 * A command that failed exits, even when a library left a handle open after its cleanup (kafkajs
 * schedules a consumer restart from its own crash handler): the process must not stay up
 * half-alive. The child runs the real runCommand with a failing body and a handle that never ends.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { EXIT_FAILURE, FAILED_EXIT_GRACE_MS } from '../../cli/run-command.js';

const RUN_COMMAND = new URL('../../cli/run-command.ts', import.meta.url).href;

describe('a failed command', () => {
  it('exits non-zero after the grace period although a handle stays open', async () => {
    const script = `
      import { runCommand } from ${JSON.stringify(RUN_COMMAND)};
      setInterval(() => undefined, 1_000);
      await runCommand(async () => { throw new Error('sink runner failed'); });
    `;
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), FAILED_EXIT_GRACE_MS + 20_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    assert.equal(code, EXIT_FAILURE, `exit code (stderr: ${stderr})`);
    assert.match(stderr, /bookeo-connect: Error: sink runner failed/);
    assert.ok(Date.now() - started >= FAILED_EXIT_GRACE_MS, 'not before the grace period');
  });
});
