/**
 * One million bookings in bounded memory. Measured on the reference machine (2 cores, Node 20):
 * generation ≈ 3 s, columns ≈ 71 MB, heap + array buffers grow by ≈ 100 MB, RSS ≈ 220 MB in
 * total. The bound asserted (growth < 200 MB, RSS < 450 MB) leaves room for machine variance
 * while failing if bookings were ever held as JS objects (≈ 1 KB each → > 1 GB).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { get, type Page } from './helpers.js';

const MB = 1024 * 1024;
const SCALE = 1_000_000;
const held = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

describe('simulator at 1,000,000 bookings', () => {
  let sim: RunningSimulator;
  let baseline: number;
  let generationMs: number;

  before(async () => {
    baseline = held();
    const started = performance.now();
    sim = await startSimulator({ seed: 1, scale: SCALE });
    generationMs = performance.now() - started;
  });
  after(() => sim.close());

  it('generates within a printed memory bound', () => {
    const growth = held() - baseline;
    const rss = process.memoryUsage().rss;
    const stats = sim.admin.stats();
    process.stdout.write(
      `# 1M bookings: generated in ${(generationMs / 1000).toFixed(1)} s, heap+buffers +${Math.round(growth / MB)} MB, columns ${Math.round(stats.storeBytes / MB)} MB, RSS ${Math.round(rss / MB)} MB\n`,
    );
    assert.equal(sim.admin.count('bookings'), SCALE);
    assert.ok(growth < 200 * MB, `heap+buffers grew by ${Math.round(growth / MB)} MB`);
    assert.ok(rss < 450 * MB, `RSS ${Math.round(rss / MB)} MB`);
  });

  it('answers a 31-day window from the indexes, pages it with the token, and stays bounded under mutations', async () => {
    let started = performance.now();
    const first = await get<Page>(
      sim,
      '/bookings?lastUpdatedStartTime=2026-04-30T00:00:00Z&lastUpdatedEndTime=2026-05-31T00:00:00Z&includeCanceled=true&itemsPerPage=100',
    );
    const firstMs = performance.now() - started;
    assert.equal(first.status, 200);
    assert.ok(first.body.info.totalItems > 50_000, `${first.body.info.totalItems} bookings changed in the window`);
    assert.ok(firstMs < 2000, `first page took ${Math.round(firstMs)} ms`);
    started = performance.now();
    const pages = 50;
    for (let n = 2; n <= pages + 1; n++) {
      const page = await get<Page>(
        sim,
        `/bookings?pageNavigationToken=${first.body.info.pageNavigationToken ?? ''}&pageNumber=${n * 20}`,
      );
      assert.equal(page.body.data.length, 100);
    }
    const perPage = (performance.now() - started) / pages;
    sim.admin.mutate({ newBookings: 5000, editBookings: 5000, cancelBookings: 1000, deleteCustomers: 100 });
    const truthStarted = performance.now();
    let count = 0;
    for await (const booking of sim.admin.groundTruth('bookings')) if (booking.bookingNumber !== undefined) count++;
    const growth = held() - baseline;
    process.stdout.write(
      `# 1M bookings: first window page ${Math.round(firstMs)} ms, token pages ${perPage.toFixed(1)} ms each, full truth ${count} in ${((performance.now() - truthStarted) / 1000).toFixed(1)} s, heap+buffers +${Math.round(growth / MB)} MB, RSS ${Math.round(process.memoryUsage().rss / MB)} MB\n`,
    );
    assert.equal(count, sim.admin.count('bookings'));
    assert.ok(count > SCALE);
    assert.ok(growth < 250 * MB, `heap+buffers grew by ${Math.round(growth / MB)} MB after streaming the truth`);
  });
});
