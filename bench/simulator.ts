/**
 * Raw page-serving rate of the simulator: a plain undici client walks 31-day /bookings windows
 * (page 1, then pages 2..N with the token) as fast as it can, `concurrency` windows at a time.
 * This is the ceiling the source connector is compared with. Prints pages/s, items/s and RSS.
 *
 *   npx tsx bench/simulator.ts [scale] [seconds] [concurrency]
 */
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { startSimulator } from '../simulator/index.js';

export interface SimulatorBenchOptions {
  scale?: number;
  seconds?: number;
  concurrency?: number;
  itemsPerPage?: number;
}

export interface SimulatorBenchResult {
  scale: number;
  generationMs: number;
  pages: number;
  items: number;
  bytes: number;
  seconds: number;
  pagesPerSecond: number;
  itemsPerSecond: number;
  megabytesPerSecond: number;
  rssMb: number;
}

const DAY_MS = 86_400_000;

export async function benchSimulator(options: SimulatorBenchOptions = {}): Promise<SimulatorBenchResult> {
  const scale = options.scale ?? 200_000;
  const seconds = options.seconds ?? 10;
  const concurrency = options.concurrency ?? 4;
  const itemsPerPage = options.itemsPerPage ?? 100;
  const started = performance.now();
  const sim = await startSimulator({ scale });
  const generationMs = performance.now() - started;
  const origin = new URL(sim.url).origin;
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const headers = { 'x-bookeo-secretkey': sim.secretKey, 'x-bookeo-apikey': sim.apiKeys[0] ?? '' };
  const now = sim.admin.now().getTime();
  let pages = 0;
  let items = 0;
  let bytes = 0;
  let windowIndex = 0;
  const deadline = performance.now() + seconds * 1000;

  const fetchPage = async (path: string): Promise<{ info: { totalPages: number; pageNavigationToken?: string }; data: unknown[] }> => {
    const response = await pool.request({ method: 'GET', path, headers });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${path} → ${response.statusCode} ${text.slice(0, 200)}`);
    bytes += text.length;
    const page = JSON.parse(text) as { info: { totalPages: number; pageNavigationToken?: string }; data: unknown[] };
    pages++;
    items += page.data.length;
    return page;
  };

  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      // Slide over the year in 31-day startTime windows, wrapping around.
      const k = windowIndex++ % 12;
      const start = new Date(now - (k + 1) * 31 * DAY_MS).toISOString();
      const end = new Date(now - k * 31 * DAY_MS).toISOString();
      const first = await fetchPage(`/v2/bookings?startTime=${start}&endTime=${end}&includeCanceled=true&itemsPerPage=${itemsPerPage}`);
      for (let n = 2; n <= first.info.totalPages && performance.now() < deadline; n++) {
        await fetchPage(`/v2/bookings?pageNavigationToken=${first.info.pageNavigationToken ?? ''}&pageNumber=${n}`);
      }
    }
  };
  const loopStarted = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - loopStarted) / 1000;
  await pool.close();
  await sim.close();
  return {
    scale,
    generationMs: Math.round(generationMs),
    pages,
    items,
    bytes,
    seconds: Number(elapsed.toFixed(2)),
    pagesPerSecond: Math.round(pages / elapsed),
    itemsPerSecond: Math.round(items / elapsed),
    megabytesPerSecond: Number((bytes / elapsed / 1e6).toFixed(1)),
    rssMb: Math.round(process.memoryUsage().rss / 1e6),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [scale, seconds, concurrency] = process.argv.slice(2).map(Number);
  const result = await benchSimulator({
    ...(scale ? { scale } : {}),
    ...(seconds ? { seconds } : {}),
    ...(concurrency ? { concurrency } : {}),
  });
  process.stdout.write(
    `simulator bench: ${result.scale} bookings (generated in ${result.generationMs} ms), ${result.pages} pages / ${result.items} items in ${result.seconds} s → ` +
      `${result.pagesPerSecond} pages/s, ${result.itemsPerSecond} items/s, ${result.megabytesPerSecond} MB/s; RSS ${result.rssMb} MB\n`,
  );
}
