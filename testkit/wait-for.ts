/** Waits on a condition instead of sleeping: polls until it holds or the timeout says what never happened. */
import { setTimeout as delay } from 'node:timers/promises';

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await delay(options.intervalMs ?? 100);
  }
  const suffix = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${options.what}${suffix}`);
}

/** A short random suffix so every test gets its own topics, subjects, tables and groups. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Repeats an assertion until it passes or the timeout ends, then throws its last failure. For
 * state that settles shortly after an action: Kafka answers a transaction commit before its
 * markers are written, so read_committed readers see the records a moment later.
 */
export async function eventually(
  assertion: () => Promise<void>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await delay(options.intervalMs ?? 200);
    }
  }
}
