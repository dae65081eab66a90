/**
 * The `bookeo-connect source` process as operators run it: killed with SIGKILL in the middle of a
 * backfill and started again, it loses nothing and publishes no version twice (read_committed);
 * bad configuration, bad credentials and (with --once) any resource that failed end it with a
 * clear message and a non-zero exit, and no secret in its output.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { capturingLogger, liveEntries, sourceTestConfig, truthOf, viewTopic } from '../helpers/source-fixture.js';
import { eventually, uniqueName, waitFor } from '../../testkit/wait-for.js';

const CLI = join(import.meta.dirname, '..', '..', 'cli', 'main.ts');
const SECRET = 'sk-test-SECRET-7f3a9c1e';
const API_KEY = 'ak-test-APIKEY-19c2b44d';

interface Run {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exit: Promise<number | null>;
}

function runSource(configFile: string, extraArgs: string[] = ['--once']): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'source', '--config', configFile, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

describe('the source process', () => {
  let simulator: RunningSimulator;
  let kafka: KafkaClient;
  const dir = mkdtempSync(join(tmpdir(), 'bc-source-cli-'));
  const prefixes: string[] = [];
  const started: ChildProcess[] = [];

  const writeConfig = (name: string, patch: (raw: Record<string, Record<string, unknown>>) => void): string => {
    const prefix = uniqueName('srccli');
    prefixes.push(prefix);
    const raw = JSON.parse(JSON.stringify(sourceTestConfig(simulator, { prefix }))) as Record<
      string,
      Record<string, unknown>
    >;
    patch(raw);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(raw));
    return file;
  };

  before(async () => {
    simulator = await startSimulator({ seed: 5, scale: 3000, secretKey: SECRET, accounts: [{ apiKey: API_KEY }] });
    kafka = createKafka(sourceTestConfig(simulator).kafka, capturingLogger().logger);
  });

  after(async () => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const prefix of prefixes) await cleanupPrefix(kafka, prefix);
    await simulator.close();
  });

  it('survives kill -9 mid-backfill: no loss, no version twice', async () => {
    // Small transactions and a slow API, so the kill lands between commits of one backfill.
    simulator.admin.setFaults(API_KEY, { latencyMs: 15 });
    const file = writeConfig('crash', (raw) => {
      raw.source = { ...raw.source, resources: ['bookings'], maxRecordsPerTransaction: 100, parallelWindows: 2 };
      raw.log = { level: 'warn', format: 'json' };
    });
    const topic = `${(JSON.parse(readFileSync(file, 'utf8')) as { kafka: { topicPrefix: string } }).kafka.topicPrefix}.bookings`;
    const first = runSource(file);
    started.push(first.child);
    await waitFor(async () => (await viewTopic(kafka, topic)).records > 0, {
      what: 'a first committed transaction',
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    first.child.kill('SIGKILL');
    assert.equal(await first.exit, null, 'killed, not exited');
    const truth = await truthOf(simulator, 'bookings');
    assert.ok((await viewTopic(kafka, topic)).records < truth.size, 'the kill interrupted the backfill');

    simulator.admin.clearFaults(API_KEY);
    const second = runSource(file);
    started.push(second.child);
    assert.equal(await second.exit, 0, second.output());
    await eventually(async () => {
      const view = await viewTopic(kafka, topic);
      assert.deepEqual(liveEntries(view), truth, 'every booking is in the topic, as it is at Bookeo');
      assert.deepEqual(view.repeated, [], 'no version was published twice');
      assert.equal(view.records, truth.size, 'one record per booking');
    });
  });

  it('bad configuration: exit 2, every problem listed, secrets masked', async () => {
    const file = writeConfig('badconfig', (raw) => {
      raw.kafka = { ...raw.kafka, partitions: 0, brokres: 'x' };
      raw.bookeo = { ...raw.bookeo, requestsPerSecond: 'fast', secretKey: 12345 };
    });
    const run = runSource(file);
    started.push(run.child);
    assert.equal(await run.exit, 2);
    for (const key of ['kafka.partitions', 'kafka.brokres', 'bookeo.requestsPerSecond', 'bookeo.secretKey'])
      assert.match(run.output(), new RegExp(key.replace('.', '\\.')));
    assert.ok(!run.output().includes('12345'), 'the invalid secret value is masked');
  });

  it('--once with Bookeo unreachable: exit 1 naming every failed resource, status printed', async () => {
    const file = writeConfig('unreachable', (raw) => {
      raw.bookeo = { ...raw.bookeo, baseUrl: 'http://127.0.0.1:9/v2', retries: 0 };
      raw.source = { ...raw.source, resources: ['settings_languages', 'webhooks'] };
    });
    const run = runSource(file);
    started.push(run.child);
    assert.equal(await run.exit, 1, run.output());
    assert.match(
      run.output(),
      /2 resource polls failed: acme\/settings_languages \(.*ECONNREFUSED.*\); acme\/webhooks \(.*ECONNREFUSED.*\)/,
    );
    assert.match(run.output(), /"state": "failed"/, 'the status is printed');
  });

  it("bad credentials: exit 1 with Bookeo's errorId, never a key", async () => {
    const wrongKey = 'ak-WRONG-key-must-not-leak-5521';
    const file = writeConfig('badkey', (raw) => {
      raw.bookeo = { ...raw.bookeo, accounts: [{ id: 'acme', apiKey: wrongKey }] };
      raw.source = { ...raw.source, resources: ['webhooks'] };
    });
    const run = runSource(file);
    started.push(run.child);
    assert.equal(await run.exit, 1, run.output());
    assert.match(run.output(), /errorId/);
    for (const secret of [wrongKey, SECRET]) assert.ok(!run.output().includes(secret), `${secret} leaked`);
  });
});
