/**
 * Raw page-serving rate of the simulator, in-process: a plain undici client (raw-client.ts) reads
 * the source's backfill plan of /bookings for the last year, `concurrency` windows at a time.
 * Prints pages/s, items/s and RSS. (The source benchmark measures the same limit against a
 * simulator in its own process.)
 *
 *   npx tsx bench/simulator.ts [scale] [concurrency]
 */
import { pathToFileURL } from 'node:url';
import { startSimulator } from '../simulator/index.js';
import { bookingsBackfillPlan, readWindows } from './raw-client.js';

export interface SimulatorBenchResult {
  scale: number;
  generationMs: number;
  pages: number;
  items: number;
  seconds: number;
  pagesPerSecond: number;
  itemsPerSecond: number;
  megabytesPerSecond: number;
  rssMb: number;
}

const DAY_MS = 86_400_000;

export async function benchSimulator(
  options: { scale?: number; concurrency?: number } = {},
): Promise<SimulatorBenchResult> {
  const scale = options.scale ?? 200_000;
  const started = performance.now();
  const sim = await startSimulator({ scale });
  const generationMs = performance.now() - started;
  try {
    const now = sim.admin.now().getTime();
    const result = await readWindows({
      url: sim.url,
      secretKey: sim.secretKey,
      apiKey: sim.apiKeys[0] ?? '',
      requests: bookingsBackfillPlan(new Date(now - 365 * DAY_MS).toISOString().slice(0, 10), now),
      concurrency: options.concurrency ?? 4,
    });
    return {
      scale,
      generationMs: Math.round(generationMs),
      pages: result.pages,
      items: result.items,
      seconds: Number(result.seconds.toFixed(2)),
      pagesPerSecond: Math.round(result.pages / result.seconds),
      itemsPerSecond: Math.round(result.items / result.seconds),
      megabytesPerSecond: Number((result.bytes / result.seconds / 1e6).toFixed(1)),
      rssMb: Math.round(process.memoryUsage().rss / 1e6),
    };
  } finally {
    await sim.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [scale, concurrency] = process.argv.slice(2).map(Number);
  const result = await benchSimulator({ ...(scale ? { scale } : {}), ...(concurrency ? { concurrency } : {}) });
  process.stdout.write(
    `simulator bench: ${result.scale} bookings (generated in ${result.generationMs} ms), ${result.pages} pages / ${result.items} items in ${result.seconds} s → ` +
      `${result.pagesPerSecond} pages/s, ${result.itemsPerSecond} items/s, ${result.megabytesPerSecond} MB/s; RSS ${result.rssMb} MB\n`,
  );
}
