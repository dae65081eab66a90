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

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
let built = false;

/** Compiles the CLI into dist/ (tsc, a few seconds), once per bench run: before the first timed child, and by runCli if not yet. */
export function buildCli(): void {
  if (built) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
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
}

function vmHwmMb(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0; // exited between samples
  }
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Child {
  buildCli();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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
  return { process: child, output: () => output, stdout: () => stdout, peakRssMb: () => Math.round(Math.max(peak, vmHwmMb(child.pid as number))), exit };
}

/** One scratch folder per bench run for the children's config files, removed when the run exits. */
let scratch: string | undefined;
let files = 0;

/** A fresh path for a child's config file (`<name>-<n>.json`) in the run's scratch folder. */
export function benchConfigPath(name: string): string {
  if (scratch === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'bookeo-bench-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    scratch = dir;
  }
  return join(scratch, `${name}-${++files}.json`);
}
