/**
 * The webhook benchmarks of `npm run bench` (or alone: `--only webhooks`), each beside a comparison
 * measured in the same run: freshness through deliveries beside polling's, API calls per hour with
 * webhooks and the backstop beside polling only, and a burst of deliveries at the receiver.
 */
import { availableParallelism } from 'node:os';
import { benchFreshness, freshnessRow, type FreshnessBenchResult } from './freshness.js';
import { ratio, type Row } from './report.js';
import { benchWebhookBurst } from './webhook-burst.js';
import { benchWebhookCalls } from './webhook-calls.js';

const say = (line: string): void => void process.stdout.write(`${line}\n`);
/** `GET /customers/{id} 4, …`: the calls of a window per endpoint. */
const endpointList = (counts: Readonly<Record<string, number>>): string =>
  Object.entries(counts)
    .map(([endpoint, count]) => `${endpoint} ${count}`)
    .join(', ') || 'none';

export const WEBHOOK_SIZES = {
  quick: { edits: 50, windowSeconds: 60, burst: 2_000 },
  full: { edits: 200, windowSeconds: 120, burst: 10_000 },
} as const;
const SCALE = 5_000;
const MUTATIONS_PER_MINUTE = 5;
const BURST_CONCURRENCY = 64;

export async function benchWebhooks(options: {
  prefix: string;
  quick: boolean;
  /** The polling freshness of this run; measured here when absent (10 edits quick, 30 full). */
  polling?: FreshnessBenchResult;
}): Promise<{ rows: Row[]; results: Record<string, unknown> }> {
  const sizes = options.quick ? WEBHOOK_SIZES.quick : WEBHOOK_SIZES.full;
  const rows: Row[] = [];
  let polling = options.polling;
  if (polling === undefined) {
    say('freshness through polling (the comparison): a booking edited → its new version in ClickHouse…');
    polling = await benchFreshness({
      topicPrefix: `${options.prefix}f`,
      database: `${options.prefix}_fresh`,
      scale: SCALE,
      edits: options.quick ? 10 : 30,
    });
    rows.push(freshnessRow(polling));
  }

  say(`freshness through webhooks: ${sizes.edits} bookings edited one at a time → row in ClickHouse…`);
  const webhooks = await benchFreshness({
    topicPrefix: `${options.prefix}g`,
    database: `${options.prefix}_freshwh`,
    scale: SCALE,
    edits: sizes.edits,
    via: 'webhooks',
  });
  rows.push(freshnessRow(webhooks, polling));

  say(
    `Bookeo API calls over ${sizes.windowSeconds} s at ${MUTATIONS_PER_MINUTE} changes/min: polling only, then webhooks + backstop…`,
  );
  const calls = await benchWebhookCalls({
    topicPrefix: `${options.prefix}h`,
    database: `${options.prefix}_calls`,
    scale: SCALE,
    windowSeconds: sizes.windowSeconds,
    mutationsPerMinute: MUTATIONS_PER_MINUTE,
  });
  const callsPerChange = calls.webhooks.counted / Math.max(1, calls.webhooks.changes);
  // The load under which webhooks cost 10× fewer calls than polling, at the calls per change counted.
  const tenfoldUpTo = Math.max(
    0,
    Math.floor((calls.polling.perHour / 10 - calls.webhooks.scheduledPerHour) / callsPerChange),
  );
  rows.push({
    benchmark: `API calls per hour, webhooks + backstop (15 min polls, daily listing), ${MUTATIONS_PER_MINUTE} changes/min, ${calls.customers} customers`,
    figure: `${calls.webhooks.perHour}/h = ${calls.webhooks.counted} counted in ${calls.windowSeconds} s (${calls.webhooks.changes} changes, ${calls.webhooks.deliveries} deliveries, ${callsPerChange.toFixed(1)} calls/change: ${endpointList(calls.webhooks.byEndpoint)}) × ${3600 / calls.windowSeconds} + ${calls.webhooks.scheduledPerHour}/h scheduled (computed); 10× fewer up to ≈ ${tenfoldUpTo} changes/h`,
    limit: `polling only (60 s polls, hourly listing): ${calls.polling.perHour}/h = ${calls.polling.countedPerHour}/h counted (${calls.polling.counted} in ${calls.windowSeconds} s, ${calls.polling.changes} changes) + ${calls.polling.scheduledPerHour}/h scheduled (computed)`,
    ratio: `${calls.ratio}× fewer`,
    target: `≥ 10× fewer (${calls.ratio >= 10 ? 'met' : '**not met**'})`,
    peakRss: '-',
  });

  say(`a burst of ${sizes.burst} signed deliveries, ${BURST_CONCURRENCY} at a time, at the receiver…`);
  const burst = await benchWebhookBurst({
    topicPrefix: `${options.prefix}k`,
    database: `${options.prefix}_burst`,
    scale: SCALE,
    deliveries: sizes.burst,
    concurrency: BURST_CONCURRENCY,
  });
  rows.push({
    benchmark: `burst of ${burst.deliveries} deliveries (${burst.bookings} bookings), ${burst.concurrency} in flight`,
    figure: `answers p50 ${burst.answerP50Ms} ms, p99 ${burst.answerP99Ms} ms, max ${burst.answerMaxMs} ms; ${burst.deliveriesPerSecond} deliveries/s (${burst.seconds} s); ${burst.refused} refused, ${burst.lost} lost; CPU ${burst.cpuMicrosPerDelivery} µs per delivery (source + sink) on ${availableParallelism()} cores`,
    limit: "Bookeo's answer window 5,000 ms",
    ratio: ratio(burst.answerP99Ms, 5000),
    target: `p99 < 5,000 ms (${burst.answerP99Ms < 5000 ? 'met' : '**not met**'}), none lost (${burst.lost === 0 && burst.refused === 0 ? 'met' : '**not met**'})`,
    peakRss: `${burst.peakRssMb} MB (run: source + sink)`,
  });
  return {
    rows,
    results: {
      webhookFreshness: webhooks,
      webhookCalls: calls,
      webhookBurst: burst,
      ...(options.polling ? {} : { freshness: polling }),
    },
  };
}
