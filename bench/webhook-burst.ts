/**
 * A burst of webhook deliveries at the receiver of `bookeo-connect run`: how fast it answers
 * (latency of each answer, deliveries per second) and whether every change delivered reaches the
 * topic (checked in ClickHouse, loaded from it, against the simulator's truth).
 *
 * The deliveries come from a load generator here, not from the simulator's dispatcher: that one
 * sends one message at a time per webhook, in order (Bookeo's model), so a burst through it would
 * measure one round trip after another, never the receiver under concurrent load. The generator
 * signs each delivery as Bookeo does (the simulator's signer), for bookings the simulator really
 * created just before (one delivery each), at the URL the receiver expects for `bookings/created`,
 * with the item as GET returns it; polling is the 15-minute backstop, so the changes can only arrive by delivery.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Pool } from 'undici';
import { registeredUrl } from '../connector/source/webhooks/delivery.js';
import { webhookSignature } from '../simulator/index.js';
import { waitFor } from '../testkit/wait-for.js';
import { BENCH_ACCOUNT, percentile, startPipeline, type BenchPipeline } from './pipeline.js';
import { cpuSeconds } from './processes.js';

export interface WebhookBurstResult {
  readonly deliveries: number;
  readonly concurrency: number;
  readonly bookings: number;
  readonly seconds: number;
  readonly deliveriesPerSecond: number;
  readonly answerP50Ms: number;
  readonly answerP99Ms: number;
  readonly answerMaxMs: number;
  /** Answers other than 200. */
  readonly refused: number;
  /** Bookings delivered whose latest state (lastChangeTime) ClickHouse does not hold. */
  readonly lost: number;
  /** CPU of the `run` process (source and ClickHouse sink) over the burst and the load that follows, per delivery. */
  readonly cpuMicrosPerDelivery: number;
  readonly cores: number;
  readonly peakRssMb: number;
}

const toMillis = (time: unknown): number => Date.parse(String(time));

/** Bookings among `ids` whose latest row in ClickHouse is not the simulator's current state. */
async function notLoaded(pipeline: BenchPipeline, database: string, truth: Map<string, number>): Promise<number> {
  const result = await pipeline.clickhouse.query({
    query: `SELECT id, toUnixTimestamp64Milli(argMax(lastChangeTime, _version)) AS t FROM \`${database}\`.bookings WHERE id IN {ids:Array(String)} GROUP BY id`,
    query_params: { ids: [...truth.keys()] },
    format: 'JSONEachRow',
  });
  const loaded = new Map(
    (await result.json<{ id: string; t: string | number }>()).map((row) => [row.id, Number(row.t)]),
  );
  let missing = 0;
  for (const [id, time] of truth) if (loaded.get(id) !== time) missing++;
  return missing;
}

export async function benchWebhookBurst(options: {
  topicPrefix: string;
  database: string;
  scale: number;
  deliveries: number;
  concurrency: number;
}): Promise<WebhookBurstResult> {
  const pipeline = await startPipeline({
    topicPrefix: options.topicPrefix,
    database: options.database,
    scale: options.scale,
    resources: ['bookings'],
    requestsPerSecond: 1000,
    sinkMaxAgeMs: 200,
    source: { pollIntervalSeconds: 900 },
    webhooks: { register: false },
  });
  try {
    const { admin, secretKey } = pipeline.simulator;
    // New bookings, one delivery each: distinct entities, so no two deliveries share a re-read.
    const edited = admin.mutate({ newBookings: options.deliveries }).ids.newBookings;
    const items = new Map<string, Record<string, unknown>>();
    const wanted = new Set(edited);
    for await (const booking of admin.groundTruth('bookings'))
      if (wanted.has(String(booking.bookingNumber))) items.set(String(booking.bookingNumber), booking);
    const truth = new Map([...items].map(([id, item]) => [id, toMillis(item.lastChangeTime)]));

    const url = registeredUrl(pipeline.publicUrl ?? '', BENCH_ACCOUNT, 'bookings', 'created');
    const { origin, pathname, search } = new URL(url);
    const pool = new Pool(origin, { connections: options.concurrency });
    const latencies: number[] = [];
    let refused = 0;
    let next = 0;
    const cpuBefore = cpuSeconds(pipeline.child.process.pid as number);
    const started = performance.now();
    const sender = async (): Promise<void> => {
      for (let index = next++; index < edited.length; index = next++) {
        const itemId = edited[index] as string;
        const body = JSON.stringify({ domain: 'bookings', type: 'created', itemId, item: items.get(itemId) });
        const timestamp = String(Date.now());
        const messageId = randomUUID();
        const sentAt = performance.now();
        const answer = await pool.request({
          method: 'POST',
          path: `${pathname}${search}`,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'x-bookeo-timestamp': timestamp,
            'x-bookeo-messageid': messageId,
            'x-bookeo-signature': webhookSignature(secretKey, { timestamp, messageId, url, body }),
          },
          body,
        });
        await answer.body.dump();
        latencies.push(performance.now() - sentAt);
        if (answer.statusCode !== 200) refused++;
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, sender));
    const seconds = (performance.now() - started) / 1000;
    await pool.close();

    let lost = 0;
    await waitFor(async () => (lost = await notLoaded(pipeline, options.database, truth)) === 0, {
      what: 'every delivered booking at its latest state in ClickHouse',
      timeoutMs: 120_000,
      intervalMs: 500,
    }).catch(() => undefined); // reported as `lost`
    const cpu = cpuSeconds(pipeline.child.process.pid as number) - cpuBefore;
    latencies.sort((a, b) => a - b);
    return {
      deliveries: latencies.length,
      concurrency: options.concurrency,
      bookings: truth.size,
      seconds: Number(seconds.toFixed(2)),
      deliveriesPerSecond: Math.round(latencies.length / seconds),
      answerP50Ms: Math.round(percentile(latencies, 50)),
      answerP99Ms: Math.round(percentile(latencies, 99)),
      answerMaxMs: Math.round(latencies.at(-1) ?? 0),
      refused,
      lost,
      cpuMicrosPerDelivery: Math.round((cpu * 1e6) / Math.max(1, latencies.length)),
      cores: availableParallelism(),
      peakRssMb: pipeline.child.peakRssMb(),
    };
  } finally {
    await pipeline.close();
  }
}
