/**
 * The stack's processes: detached launch with output to a log file, PID files, liveness, RSS and
 * stopping. A PID is only ever signalled after /proc/<pid>/cmdline shows the marker the stack put
 * in its command line (the service's state folder), so a recycled PID of some other program is
 * never killed.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
}

export type ProcessState =
  | { readonly kind: 'running'; readonly pid: number }
  | { readonly kind: 'stopped' }
  /** A PID file whose process is gone or is some other program now. */
  | { readonly kind: 'stale'; readonly pid: number };

/** A process just started: its PID, and whether it has exited (known from its exit event, not from /proc). */
export interface StartedProcess {
  readonly pid: number;
  readonly exited: () => boolean;
}

/** Starts a process that outlives us: own process group, no stdin, output appended to the log. */
export function spawnDetached(spec: LaunchSpec, logFile: string, pidFile: string): StartedProcess {
  mkdirSync(dirname(logFile), { recursive: true });
  // The previous run's log is kept once (<log>.1): enough to compare, never unbounded.
  if (existsSync(logFile)) renameSync(logFile, `${logFile}.1`);
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    // A launch failure (ENOENT...) also arrives as an event, after this returns: it must find a listener.
    let exited = false;
    child.on('error', () => (exited = true));
    child.once('exit', () => (exited = true));
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    writeFileSync(pidFile, `${child.pid}\n`);
    return { pid: child.pid, exited: () => exited };
  } finally {
    closeSync(fd);
  }
}

export function readPidFile(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function removePidFile(pidFile: string): void {
  rmSync(pidFile, { force: true });
}

/** Alive (a zombie counts as dead) and its command line contains the marker. */
export function isOurProcess(pid: number, marker: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the parenthesised command name, which may itself contain spaces.
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(marker);
  } catch {
    return false;
  }
}

export function processState(pidFile: string, marker: string): ProcessState {
  const pid = readPidFile(pidFile);
  if (pid === undefined) return { kind: 'stopped' };
  return isOurProcess(pid, marker) ? { kind: 'running', pid } : { kind: 'stale', pid };
}

/** Resident memory in bytes from /proc/<pid>/status (VmRSS), undefined when unreadable. */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * SIGTERM (JVMs flush and close their logs on it) or the service's own clean-stop signal, wait,
 * then SIGKILL. Returns how it ended; only signals a PID still carrying the marker.
 */
export async function stopProcess(
  pid: number,
  marker: string,
  timeoutMs = 30_000,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<'not-running' | 'terminated' | 'killed'> {
  if (!isOurProcess(pid, marker)) return 'not-running';
  process.kill(pid, signal);
  if (await waitForExit(pid, marker, timeoutMs)) return 'terminated';
  if (isOurProcess(pid, marker)) process.kill(pid, 'SIGKILL');
  await waitForExit(pid, marker, 10_000);
  return 'killed';
}

async function waitForExit(pid: number, marker: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, marker)) return true;
    await delay(100);
  }
  return !isOurProcess(pid, marker);
}

/** The last lines of a log file (reads at most the last 64 KiB), or a note that there is none. */
export async function tailFile(path: string, lines: number): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return `(no log at ${path})\n`;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const text = buffer.toString('utf8').split('\n');
    if (text.at(-1) === '') text.pop();
    return `${text.slice(-lines).join('\n')}\n`;
  } finally {
    await handle.close();
  }
}
