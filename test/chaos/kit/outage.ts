/**
 * A service of the stack taken away under running processes and kept away until every watcher
 * has noticed (its /readyz turned false) and whatever else the scenario waits for has happened,
 * then started again. The outage lasts as long as noticing takes, so it is never shorter than the
 * connector's own detection and never longer than needed.
 */
import { createStackContext, downStack, upStack, type ServiceName } from '../../../deploy/stack/stack.js';
import { waitFor } from '../../../testkit/wait-for.js';
import { firstSample, readinessChanges, type ConnectorProcess } from './processes.js';

export interface Outage {
  readonly down: number;
  readonly back: number;
  readonly outageMs: number;
  /** What each watcher's /readyz first said once the service was gone. */
  readonly reasons: ReadonlyMap<string, string>;
}

export interface OutageOptions {
  /** Runs right after the service stopped (e.g. switch on schema drift). */
  readonly meanwhile?: () => void;
  /** A further condition before the service comes back (e.g. the source published more). */
  readonly until?: () => Promise<boolean>;
  /** The processes' log tails, added to a failure (what a watcher was doing when it did not notice). */
  readonly logs?: () => Promise<string>;
}

export async function outageUntilNoticed(
  service: ServiceName,
  watchers: readonly ConnectorProcess[],
  options: OutageOptions = {},
): Promise<Outage> {
  const down = Date.now();
  await downStack(undefined, [service]);
  options.meanwhile?.();
  const noticed = (watcher: ConnectorProcess): boolean =>
    firstSample(watcher.readiness, down, (sample) => sample.status === 503) !== undefined;
  await waitFor(async () => watchers.every(noticed) && (options.until === undefined || (await options.until())), {
    what: `every watcher's /readyz to turn false while ${service} is down`,
    timeoutMs: 60_000,
    intervalMs: 250,
  }).catch(async (error: unknown) => {
    const logs = (await options.logs?.().catch((failure: unknown) => `(logs unreadable: ${String(failure)})`)) ?? '';
    throw new Error(
      `${(error as Error).message}\n${watchers.map((watcher) => readinessChanges(watcher, down)).join('\n')}\n${logs}`,
    );
  });
  const outageMs = Date.now() - down;
  await upStack(
    createStackContext(undefined, () => undefined),
    [service],
  );
  const reasons = new Map(
    watchers.map((watcher) => [
      watcher.name,
      firstSample(watcher.readiness, down, (sample) => sample.status === 503)?.reason ?? '',
    ]),
  );
  return { down, back: Date.now(), outageMs, reasons };
}
