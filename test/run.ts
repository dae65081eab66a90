/**
 * `npm test`: unit tests, then everything else (integration, conformance, …) against the local
 * stack. The stack is started when it is not up and stopped afterwards, so the machine is left
 * as found: services that were already running stay running and untouched.
 *
 * `npm test -- <file>…` runs only the given test files (the stack is then needed only when one
 * of them lies outside test/unit).
 *
 * Node 20's `--test` has no glob, so files are listed here. Unit files run in parallel; the others
 * share one broker, registry and ClickHouse and one of them restarts the registry, so they run one
 * file at a time.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describeError } from '../common/errors.js';
import { ServiceFailedError } from '../deploy/stack/errors.js';
import { createStackContext, downStack, stackStatus, upStack, type ServiceName } from '../deploy/stack/stack.js';

const root = resolve(import.meta.dirname, '..');
const say = (line: string): void => void process.stderr.write(`test/run: ${line}\n`);

function testFiles(): string[] {
  const requested = process.argv.slice(2);
  if (requested.length > 0) return requested.map((file) => relative(root, resolve(file)));
  return readdirSync(join(root, 'test'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => join('test', file))
    .sort();
}

function runNodeTests(files: readonly string[], extraArgs: readonly string[]): Promise<number> {
  if (files.length === 0) return Promise.resolve(0);
  return new Promise((resolveExit, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=spec', ...extraArgs, ...files],
      { cwd: root, stdio: 'inherit' },
    );
    child.once('error', reject);
    child.once('exit', (code, signal) => resolveExit(code ?? (signal === null ? 1 : 128)));
  });
}

/** Starts what is not running; returns the services this run must stop to leave things as found. */
async function ensureStack(): Promise<ServiceName[]> {
  const before = await stackStatus();
  const wasRunning = new Set(
    before.filter((status) => status.state === 'healthy' || status.state === 'unhealthy').map((status) => status.name),
  );
  if (wasRunning.size === before.length && before.every((status) => status.state === 'healthy')) {
    say('the stack is already up; using it and leaving it running');
    return [];
  }
  say('starting the local stack (first run installs Kafka, Apicurio Registry and maybe a JDK into the cache)');
  const ours = before.filter((status) => !wasRunning.has(status.name)).map((status) => status.name);
  try {
    await upStack(createStackContext(undefined, (line) => say(`stack: ${line}`)));
  } catch (error) {
    if (error instanceof ServiceFailedError && error.logTail !== '')
      process.stderr.write(`--- last lines of the ${error.service} log ---\n${error.logTail}`);
    await downStack(undefined, ours);
    throw error;
  }
  return ours;
}

async function main(): Promise<number> {
  const files = testFiles();
  const unit = files.filter((file) => file.startsWith(`test${sep}unit${sep}`));
  const others = files.filter((file) => !unit.includes(file));
  const started = others.length > 0 ? await ensureStack() : [];
  try {
    const unitExit = await runNodeTests(unit, []);
    const othersExit = await runNodeTests(others, ['--test-concurrency=1']);
    return unitExit !== 0 ? unitExit : othersExit;
  } finally {
    if (started.length > 0) {
      say(`stopping what this run started: ${started.join(', ')}`);
      await downStack(undefined, started);
    }
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    say(describeError(error));
    process.exitCode = 1;
  },
);
