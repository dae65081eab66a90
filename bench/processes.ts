/**
 * Child processes of the benchmarks: each part runs in its own process, so its CPU and peak memory
 * (VmHWM, sampled while it runs) are its own. Only processes started here are signalled, by PID.
 *
 * Children run the compiled CLI (`npm run build` → dist/cli/main.js, once per bench run), as the
 * image does: what is measured is the product, not tsx compiling TypeScript on the fly (which adds
 * start-up time and 30-40 MB of resident memory to every process).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCpuProfile, type ProfileWindow, type StageProfile, type StageRules } from './cpu-profile.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
let built = false;

/** Compiles the CLI into dist/ (tsc, a few seconds), once per bench run: before the first timed child, and by runCli if not yet. */
export function buildCli(): void {
  if (built) return;
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
  built = true;
}

export interface Child {
  readonly process: ChildProcess;
  /** stdout and stderr interleaved. */
  readonly output: () => string;
  readonly stdout: () => string;
  /** Highest VmHWM seen so far, in MB. */
  peakRssMb(): number;
  /** Resolves with the exit code; stops sampling. */
  readonly exit: Promise<number | null>;
  /** Where its CPU went, per stage, from the profile it wrote on exit (after `exit`; empty if it was killed). */
  readonly profile: (window?: ProfileWindow, rules?: StageRules) => StageProfile;
}

function vmHwmMb(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0; // exited between samples
  }
}

/** Linux reports CPU times in /proc in USER_HZ ticks, 100 per second on every mainstream build. */
const TICKS_PER_SECOND = 100;

/** CPU seconds of a live process, or of this process's children that have exited and been reaped (`reaped`). */
export function cpuSeconds(pid: number | 'self', reaped = false): number {
  return statCpuSeconds(`/proc/${pid}/stat`, reaped);
}

/** CPU seconds of a live process's main thread: for Node, the thread that runs all its JavaScript. */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`, false);
}

function statCpuSeconds(path: string, reaped: boolean): number {
  const stat = readFileSync(path, 'utf8');
  // Fields after "(comm) ": state is field 3, utime/stime 14/15, cutime/cstime 16/17.
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  const [user, system] = reaped ? [fields[13], fields[14]] : [fields[11], fields[12]];
  return ((user ?? 0) + (system ?? 0)) / TICKS_PER_SECOND;
}

/** Children still running: a benchmark that fails (a timeout, say) must not leave them behind, holding groups and files. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Every child is profiled (V8's sampling profiler, written on exit) into its own folder, for the per-stage CPU of the report. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Child {
  buildCli();
  const profileDir = mkdtempSync(join(scratchDir(), 'profile-'));
  const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profileDir, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, vmHwmMb(child.pid as number))), 200);
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      clearInterval(sampler);
      resolve(code);
    }),
  );
  return {
    process: child,
    output: () => output,
    stdout: () => stdout,
    peakRssMb: () => Math.round(Math.max(peak, vmHwmMb(child.pid as number))),
    exit,
    profile: (window, rules) => readCpuProfile(profileDir, window, rules),
  };
}

/** One scratch folder per bench run for the children's config files and profiles, removed when the run exits. */
let scratch: string | undefined;
let files = 0;

function scratchDir(): string {
  if (scratch === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'bookeo-bench-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    scratch = dir;
  }
  return scratch;
}

/** A fresh path for a child's config file (`<name>-<n>.json`) in the run's scratch folder. */
export function benchConfigPath(name: string): string {
  return join(scratchDir(), `${name}-${++files}.json`);
}
