/**
 * End-to-end freshness: a booking edited at "Bookeo" (the simulator, on the real clock) → the new
 * version visible in ClickHouse, through `bookeo-connect run` (source and ClickHouse sink in one
 * child process, so its peak RSS is the pipeline's). Edits are made one at a time after the
 * backfill; each is timed from the edit to the first query that sees its version.
 *
 * `via: 'polling'`: the limit printed next to it is the design's own floor for these settings: a
 * change becomes eligible after the safety lag, waits for the next poll (up to the poll interval),
 * and for the sink's batch age cut; the rest is the pipeline's own cost. `via: 'webhooks'`: the
 * receiver is on and the source registers the webhooks; polls are the recommended backstop (every
 * 15 minutes), so every edit in the run arrives by delivery.
 */
import { waitFor } from '../testkit/wait-for.js';
import { percentile, startPipeline } from './pipeline.js';
import { ratio, type Row } from './report.js';

export interface FreshnessBenchResult {
  readonly via: 'polling' | 'webhooks';
  readonly edits: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Polling: safety lag + poll interval + sink batch age, the worst case the settings allow before any work. */
  readonly settingsFloorMs: number;
  readonly peakRssMb: number;
}

const SETTINGS = { pollIntervalSeconds: 1, safetyLagSeconds: 1, maxAgeMs: 200 };
const BACKSTOP_POLL_SECONDS = 900;

export async function benchFreshness(options: {
  topicPrefix: string;
  database: string;
  scale: number;
  edits: number;
  via?: 'polling' | 'webhooks';
}): Promise<FreshnessBenchResult> {
  const via = options.via ?? 'polling';
  const pipeline = await startPipeline({
    topicPrefix: options.topicPrefix,
    database: options.database,
    scale: options.scale,
    resources: ['bookings'],
    requestsPerSecond: 200,
    sinkMaxAgeMs: SETTINGS.maxAgeMs,
    source: {
      pollIntervalSeconds: via === 'polling' ? SETTINGS.pollIntervalSeconds : BACKSTOP_POLL_SECONDS,
      safetyLagSeconds: SETTINGS.safetyLagSeconds,
    },
    ...(via === 'webhooks' ? { webhooks: { register: true } } : {}),
  });
  try {
    const latencies: number[] = [];
    for (let edit = 0; edit < options.edits; edit++) {
      const [id] = pipeline.simulator.admin.mutate({ editBookings: 1 }).ids.editBookings;
      if (id === undefined) throw new Error('the simulator edited no booking');
      const before = await pipeline.versionOf(id);
      const editedAt = performance.now();
      await waitFor(async () => (await pipeline.versionOf(id)) > before, {
        what: `booking ${id}'s new version in ClickHouse`,
        timeoutMs: 60_000,
        intervalMs: 20,
      });
      latencies.push(performance.now() - editedAt);
    }
    latencies.sort((a, b) => a - b);
    return {
      via,
      edits: latencies.length,
      p50Ms: Math.round(percentile(latencies, 50)),
      p95Ms: Math.round(percentile(latencies, 95)),
      p99Ms: Math.round(percentile(latencies, 99)),
      maxMs: Math.round(latencies.at(-1) ?? 0),
      settingsFloorMs: (SETTINGS.safetyLagSeconds + SETTINGS.pollIntervalSeconds) * 1000 + SETTINGS.maxAgeMs,
      peakRssMb: pipeline.child.peakRssMb(),
    };
  } finally {
    await pipeline.close();
  }
}

/** The report row of a freshness run: polling beside the floor its settings allow; webhooks beside the polling run of the same bench. */
export function freshnessRow(result: FreshnessBenchResult, polling?: FreshnessBenchResult): Row {
  if (result.via === 'polling')
    return {
      benchmark: `freshness, ${result.edits} edits one at a time`,
      figure: `p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, max ${result.maxMs} ms`,
      limit: `settings allow up to ${result.settingsFloorMs} ms of waiting`,
      ratio: '-',
      target: '-',
      peakRss: `${result.peakRssMb} MB (run: source + sink)`,
    };
  return {
    benchmark: `freshness through webhooks, ${result.edits} edits one at a time (edit → row in ClickHouse)`,
    figure: `p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms`,
    limit:
      polling === undefined
        ? '-'
        : `polling (1 s poll, 1 s safety lag): p50 ${polling.p50Ms} ms, p95 ${polling.p95Ms} ms`,
    ratio: polling === undefined ? '-' : ratio(result.p95Ms, polling.p95Ms),
    target: `p95 < 1,500 ms (${result.p95Ms < 1500 ? 'met' : '**not met**'})`,
    peakRss: `${result.peakRssMb} MB (run: source + sink)`,
  };
}
