/**
 * `npm run soak -- --minutes N [--scale N] [--seed N] [--no-service-faults]`: the source and a
 * ClickHouse sink as processes, for N minutes, against a simulated account that keeps changing,
 * with a random fault every minute or so: Bookeo answering 429s, 5xx, hangs and cut-off pages for
 * a while, page tokens expiring, and (unless --no-service-faults) Kafka, the registry or ClickHouse
 * restarted. The processes are never killed, so each one's memory can be followed over the whole
 * run. Every 30 s it prints each process's RSS and open file descriptors; at the end, the three-layer
 * check and whether memory stayed flat after the warm-up. Not part of `npm test`: it takes minutes
 * and restarts the stack's services; run it on a machine with the local stack up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createStackContext, restartStack, type ServiceName } from '../../deploy/stack/stack.js';
import { requireStack } from '../helpers/stack.js';
import type { ConnectorProcess } from './kit/processes.js';
import { checkThreeLayers, describeReport } from './kit/three-layers.js';
import { createWorld } from './kit/world.js';

const SAMPLE_EVERY_MS = 30_000;
const FAULT_EVERY_MS = 60_000;
const BOOKEO_FAULT_MS = 20_000;
/** The first part of the run is warm-up (caches, JIT, the backfill); flatness is judged after it. */
const WARM_UP_SHARE = 0.25;

interface Sample {
  readonly at: number;
  readonly rssMb: number;
  readonly fds: number;
}

function sampleOf(pid: number | undefined): Sample | undefined {
  if (pid === undefined) return undefined;
  try {
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return { at: Date.now(), rssMb: Math.round(Number(rss) / 1024), fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}

/** Max RSS in the last quarter of the run against max RSS right after the warm-up: growth beyond noise shows a leak. */
function flatness(samples: readonly Sample[]): {
  afterWarmUpMb: number;
  endMb: number;
  growthMb: number;
  fdsFrom: number;
  fdsTo: number;
} {
  const afterWarmUp = samples.slice(Math.floor(samples.length * WARM_UP_SHARE));
  const firstQuarter = afterWarmUp.slice(0, Math.max(1, Math.ceil(afterWarmUp.length / 4)));
  const lastQuarter = afterWarmUp.slice(-Math.max(1, Math.ceil(afterWarmUp.length / 4)));
  const max = (list: readonly Sample[]): number => Math.max(...list.map((sample) => sample.rssMb));
  return {
    afterWarmUpMb: max(firstQuarter),
    endMb: max(lastQuarter),
    growthMb: max(lastQuarter) - max(firstQuarter),
    fdsFrom: firstQuarter[0]?.fds ?? 0,
    fdsTo: lastQuarter.at(-1)?.fds ?? 0,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      scale: { type: 'string', default: '5000' },
      seed: { type: 'string', default: '7' },
      'no-service-faults': { type: 'boolean', default: false },
    },
  });
  const minutes = Number(values.minutes);
  const seed = Number(values.seed);
  if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
  await requireStack();
  const say = (line: string): void => void process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const world = await createWorld({ name: 'soak', seed, scale: Number(values.scale) });
  let random = seed;
  const next = (): number => (random = (random * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  try {
    const roles: Array<{ role: string; process: ConnectorProcess; samples: Sample[] }> = [
      { role: 'source', process: await world.startSource(), samples: [] },
      { role: 'sink', process: await world.startSink(), samples: [] },
    ];
    world.startChurn();
    const started = Date.now();
    const endAt = started + minutes * 60_000;
    const services: ServiceName[] = values['no-service-faults'] ? [] : ['kafka', 'registry', 'clickhouse'];
    const faults: string[] = [];
    let nextSample = started;
    let nextFault = started + FAULT_EVERY_MS;
    say(
      `soak for ${minutes} min, scale ${values.scale}, seed ${seed}, service faults: ${services.join(', ') || 'none'}`,
    );
    say('role    rss MB  fds');
    while (Date.now() < endAt) {
      if (Date.now() >= nextSample) {
        for (const entry of roles) {
          const sample = sampleOf(entry.process.child.pid);
          if (sample === undefined)
            throw new Error(
              `${entry.role} is gone (exit ${String(entry.process.child.exitCode)})\n${await world.logs()}`,
            );
          entry.samples.push(sample);
          say(`${entry.role.padEnd(7)} ${String(sample.rssMb).padStart(6)}  ${sample.fds}`);
        }
        nextSample += SAMPLE_EVERY_MS;
      }
      if (Date.now() >= nextFault) {
        const choices = ['bookeo', 'tokens', ...services];
        const choice = choices[Math.floor(next() * choices.length)] as string;
        faults.push(choice);
        if (choice === 'bookeo') {
          say('fault: Bookeo answers 429, 5xx, hangs and cut-off pages for 20 s');
          world.simulator.admin.setFaults(world.apiKey, {
            rateLimit: { requestsPerSecond: 20 },
            errors: { rate: 0.1 },
            hang: { rate: 0.02, ms: 6_000 },
            malformed: { rate: 0.05 },
          });
          setTimeout(() => world.simulator.admin.clearFaults(world.apiKey), BOOKEO_FAULT_MS).unref();
        } else if (choice === 'tokens') {
          say(`fault: ${world.simulator.admin.expireTokens(world.apiKey)} page tokens expired`);
        } else {
          say(`fault: restarting ${choice}`);
          await restartStack(
            [choice as ServiceName],
            createStackContext(undefined, () => undefined),
          );
          say(`${choice} is back`);
        }
        nextFault += FAULT_EVERY_MS;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }

    world.stopChurn();
    world.simulator.admin.clearFaults(world.apiKey);
    say('changes stopped; waiting for Bookeo, the topics and the table to agree');
    const report = await checkThreeLayers(world, 180_000);
    say(
      `three layers: ${describeReport(report)}; duplicates ${report.duplicates.length}, undecodable ${report.undecodable}`,
    );
    for (const duplicate of report.duplicates.slice(0, 10)) say(`duplicate: ${duplicate}`);
    say(`faults: ${faults.join(', ')}`);
    for (const entry of roles) {
      const flat = flatness(entry.samples);
      say(
        `${entry.role}: RSS after warm-up ${flat.afterWarmUpMb} MB, at the end ${flat.endMb} MB (${flat.growthMb >= 0 ? '+' : ''}${flat.growthMb} MB); fds ${flat.fdsFrom} → ${flat.fdsTo}`,
      );
    }
    return report.duplicates.length === 0 && report.undecodable === 0 ? 0 : 1;
  } finally {
    await world.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
