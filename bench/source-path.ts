/**
 * The source's per-record path in one process, without the stack: the bookings pages of an
 * in-process simulator are read once, then parsed and prepared (content hash, id, Avro key and
 * value, headers) again and again, each stage also timed alone. What the source's own code costs
 * per record, apart from Bookeo's HTTP and Kafka, and steady enough to compare two versions of it.
 *
 * `npx tsx bench/source-path.ts [bookings]` (default 5,000); prints µs of CPU per record per stage.
 */
import { contentHash } from '../bookeo/catalog/content-hash.js';
import { resourceByName } from '../bookeo/catalog/catalog.js';
import { createTopicSerializer } from '../avro/topic-serializer.js';
import type { SchemaRegistry } from '../avro/registry.js';
import type { AvroType } from '../avro/schema-json.js';
import { prepareEntity } from '../connector/source/prepared-entity.js';
import { createRecordFactory } from '../connector/source/record-factory.js';
import { DEFAULT_API_KEY, DEFAULT_SECRET_KEY, startSimulator } from '../simulator/index.js';
import { bookingsBackfillPlan } from './raw-client.js';

/** Registers whatever it is given, one id per distinct schema; enough for a serializer to start. */
function scratchRegistry(): SchemaRegistry {
  const ids = new Map<string, number>();
  const idOf = (schema: AvroType): number => {
    const text = JSON.stringify(schema);
    let id = ids.get(text);
    if (id === undefined) ids.set(text, (id = ids.size + 1));
    return id;
  };
  return {
    url: 'memory://',
    schemaById: () => Promise.reject(new Error('not kept')),
    lookup: (_subject, schema) => Promise.resolve({ id: idOf(schema), version: 1 }),
    latest: () => Promise.resolve(undefined),
    register: (_subject, schema) => Promise.resolve(idOf(schema)),
    incompatibilities: () => Promise.resolve([]),
    getCompatibility: () => Promise.resolve(undefined),
    setCompatibility: () => Promise.resolve(true),
    deleteSubject: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

/** Every bookings page of the backfill plan, as the JSON text the API sends. */
async function readPages(scale: number): Promise<string[]> {
  const simulator = await startSimulator({ scale, clock: 'real' });
  const headers = { 'x-bookeo-secretkey': DEFAULT_SECRET_KEY, 'x-bookeo-apikey': DEFAULT_API_KEY };
  const pages: string[] = [];
  try {
    const from = new Date(Date.now() - 400 * 86_400_000).toISOString().slice(0, 10);
    for (const request of bookingsBackfillPlan(from, Date.now())) {
      const get = async (
        query: Record<string, unknown>,
      ): Promise<{ info: { totalPages: number; pageNavigationToken?: string } }> => {
        const search = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
        const text = await (await fetch(`${simulator.url}${request.path}?${search.toString()}`, { headers })).text();
        pages.push(text);
        return JSON.parse(text) as { info: { totalPages: number; pageNavigationToken?: string } };
      };
      const first = await get(request.query ?? {});
      for (let n = 2; n <= first.info.totalPages; n++)
        await get({ pageNavigationToken: first.info.pageNavigationToken ?? '', pageNumber: n });
    }
  } finally {
    await simulator.close();
  }
  return pages;
}

async function timed(label: string, records: number, rounds: number, work: () => Promise<void> | void): Promise<void> {
  await work(); // warm-up: compiled code and shape caches, as in a long backfill
  const before = process.cpuUsage();
  for (let round = 0; round < rounds; round++) await work();
  const cpu = process.cpuUsage(before);
  const micros = (cpu.user + cpu.system) / (records * rounds);
  process.stdout.write(`${label.padEnd(40)} ${micros.toFixed(1).padStart(6)} µs/record\n`);
}

async function main(): Promise<void> {
  const scale = Number(process.argv[2] ?? 5000);
  const pages = await readPages(scale);
  const items = pages.flatMap((text) => (JSON.parse(text) as { data: Record<string, unknown>[] }).data);
  const definition = resourceByName('bookings');
  const serializer = await createTopicSerializer({
    registry: scratchRegistry(),
    topic: 'bench.bookings',
    resource: 'bookings',
  });
  const factory = createRecordFactory({
    account: 'bench',
    resource: 'bookings',
    serializer,
    deadLetterTopic: 'bench.dlq',
  });
  const fetchedAt = new Date().toISOString();
  const rounds = 5;
  process.stdout.write(`${items.length} bookings in ${pages.length} pages, ${rounds} rounds\n`);
  await timed('JSON.parse of the pages', items.length, rounds, () => {
    for (const text of pages) JSON.parse(text);
  });
  await timed('content hash (canonical JSON + sha1)', items.length, rounds, () => {
    for (const item of items) contentHash(item);
  });
  await timed('Avro key + value', items.length, rounds, async () => {
    for (const item of items) {
      serializer.serializeKey('bench', String(item.bookingNumber));
      await serializer.serializeValue(item);
    }
  });
  await timed('prepareEntity (hash, id, record)', items.length, rounds, async () => {
    for (const item of items) await prepareEntity(definition, factory, item, 'w', fetchedAt);
  });
  await timed('parse + prepareEntity', items.length, rounds, async () => {
    for (const text of pages)
      for (const item of (JSON.parse(text) as { data: unknown[] }).data)
        await prepareEntity(definition, factory, item, 'w', fetchedAt);
  });
}

await main();
