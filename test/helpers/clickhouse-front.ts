/**
 * A second ClickHouse HTTP front of the test's own (deploy/stack/clickhouse-http-server.ts on a
 * free port, over a temporary data folder), so tests of the front's interface never restart or
 * share the stack's ClickHouse. `stop()` ends only this process and removes its folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor } from '../../testkit/wait-for.js';

const serverScript = resolve(import.meta.dirname, '..', '..', 'deploy', 'stack', 'clickhouse-http-server.ts');

export interface OwnClickHouseFront {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startOwnClickHouseFront(): Promise<OwnClickHouseFront> {
  const folder = mkdtempSync(join(tmpdir(), 'bookeo-ch-front-'));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', serverScript, '--host', '127.0.0.1', '--port', '0', '--data', join(folder, 'data')],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    const port = await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`the front exited with ${child.exitCode}: ${output.slice(-2000)}`);
        const listening = /"port":(\d+)[^\n]*"msg":"ClickHouse HTTP front listening"/.exec(output);
        return listening?.[1] === undefined ? undefined : Number(listening[1]);
      },
      { timeoutMs: 60_000, what: 'the second ClickHouse front to listen' },
    );
    return { url: `http://127.0.0.1:${port}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
