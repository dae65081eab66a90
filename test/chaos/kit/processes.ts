/**
 * The connector's processes as operators run them: `bookeo-connect source` and `sink run` started
 * from the CLI, killed with SIGKILL or stopped with SIGTERM, their output kept in a log file for
 * when a scenario fails, and their /readyz sampled into a timeline (what the probe said while a
 * fault lasted is part of what a scenario asserts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '..', '..', '..', 'cli', 'main.ts');

export interface ReadinessSample {
  readonly at: number;
  /** HTTP status, or 0 when the ops server did not answer. */
  readonly status: number;
  readonly reason: string | undefined;
}

export interface ConnectorProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly opsUrl: string;
  readonly logFile: string;
  /** Exit code, or null when ended by a signal. */
  readonly exit: Promise<number | null>;
  readonly readiness: ReadinessSample[];
  running(): boolean;
  kill9(): Promise<void>;
  /** SIGTERM, then waits for the exit; returns the exit code. */
  stop(): Promise<number | null>;
  logTail(lines?: number): Promise<string>;
}

async function probeReadiness(opsUrl: string): Promise<ReadinessSample> {
  const at = Date.now();
  try {
    const response = await fetch(`${opsUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as { reason?: string };
    return { at, status: response.status, reason: body.reason };
  } catch {
    return { at, status: 0, reason: undefined };
  }
}

export function startConnector(
  name: string,
  args: readonly string[],
  options: { opsUrl: string; logDir: string },
): ConnectorProcess {
  const logFile = join(options.logDir, `${name}-${Date.now()}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const readiness: ReadinessSample[] = [];
  let exited = false;
  void exit.then(() => {
    exited = true;
    log.end();
  });
  const sampler = setInterval(() => {
    if (exited) return;
    void probeReadiness(options.opsUrl).then((sample) => {
      if (!exited) readiness.push(sample);
    });
  }, 250);
  sampler.unref();
  void exit.then(() => clearInterval(sampler));

  return {
    name,
    child,
    opsUrl: options.opsUrl,
    logFile,
    exit,
    readiness,
    running: () => !exited,
    async kill9() {
      if (!exited) child.kill('SIGKILL');
      await exit;
    },
    async stop() {
      if (!exited) child.kill('SIGTERM');
      return exit;
    },
    async logTail(lines = 40) {
      const text = await readFile(logFile, 'utf8').catch(() => '');
      return text.split('\n').slice(-lines).join('\n');
    },
  };
}

/** What /readyz said from `from` on, as status changes: `+1.2s 503 <reason>` lines, for a failure message. */
export function readinessChanges(process: ConnectorProcess, from: number): string {
  const lines: string[] = [];
  let last = '';
  for (const sample of process.readiness) {
    if (sample.at < from) continue;
    const now = `${sample.status} ${sample.reason ?? ''}`;
    if (now !== last) lines.push(`  ${process.name} +${((sample.at - from) / 1000).toFixed(1)}s ${now.slice(0, 200)}`);
    last = now;
  }
  return lines.join('\n');
}

/** The first sample at or after `from` (and before `to`) that satisfies `test`. */
export function firstSample(
  samples: readonly ReadinessSample[],
  from: number,
  test: (sample: ReadinessSample) => boolean,
  to = Number.POSITIVE_INFINITY,
): ReadinessSample | undefined {
  return samples.find((sample) => sample.at >= from && sample.at < to && test(sample));
}
