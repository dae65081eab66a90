/**
 * Child processes of the benchmarks: each part runs in its own process, so its CPU and peak memory
 * (VmHWM, sampled while it runs) are its own. Only processes started here are signalled, by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '..', 'cli', 'main.ts');

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
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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
