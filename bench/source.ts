/**
 * Source throughput against the simulator, next to the simulator's raw serving rate measured in
 * the same run on the same simulator process: bookings backfill (records/s), API calls made vs the
 * minimum (the pages of the source's own window plan, raw-client.ts), and the source's peak RSS.
 * The simulator and the source (`bookeo-connect source --once`) each run in their own process; the
 * raw client runs in this one.
 *
 * CPU time is accounted per process (Linux /proc), because on a small machine the source, the
 * simulator and the raw client compete for the same cores: the figures say who was the limit.
 *
 * The source's CPU is given twice: over the whole process (start-up included: module loading, the
 * registry, the transactional producer's init) and over its load window, from the first of its
 * transactions visible in the topic to the last (sampled every 100 ms with the committed end
 * offsets), which is what each further record costs. The child runs with `--cpu-prof`; its profile,
 * cut to the same window, is summarised per stage (cpu-profile.ts).
 *
 * `BENCH_SOURCE_NODE_OPTIONS` becomes the NODE_OPTIONS of the source child only (e.g. a heap limit),
 * so what it measures is the source and nothing else.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { namespacedNames } from '../contract/namespace.js';
import { resourceTopic } from '../contract/topics.js';
import { stackEndpoints } from '../deploy/stack/endpoints.js';
import { openAdmin } from '../kafka/admin.js';
import { DEFAULT_API_KEY, DEFAULT_SECRET_KEY } from '../simulator/index.js';
import { stackKafka } from '../testkit/stack-kafka.js';
import { waitFor } from '../testkit/wait-for.js';
import { formatStages, type StageProfile, type StageRules } from './cpu-profile.js';
import { benchConfigPath, cpuSeconds, runCli, type Child } from './processes.js';
import { bookingsBackfillPlan, countPages, readWindows } from './raw-client.js';

export interface SourceBenchOptions {
  readonly scale: number;
  readonly latencyMs: number;
  readonly requestsPerSecond: number;
  readonly concurrency: number;
  readonly parallelWindows: number;
  /** Also measure the raw client on the same windows (the limit); skipped for long latency runs. */
  readonly measureRaw: boolean;
  readonly topicPrefix: string;
}

export interface SourceBenchResult {
  readonly scale: number;
  readonly latencyMs: number;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly rawItemsPerSecond: number | null;
  readonly calls: number;
  readonly minimumCalls: number;
  readonly peakRssMb: number;
  readonly simulatorPeakRssMb: number;
  /**
   * The source's load window: from the first sample that saw its records committed in the topic to
   * the first that saw all of them; the records committed in between, and its CPU over them.
   */
  readonly loadWindow: { readonly records: number; readonly seconds: number; readonly cpuSeconds: number } | null;
  /** The source's main thread per stage over the load window (the whole run when there is none). */
  readonly profile: StageProfile;
  /** CPU seconds (user + system) of each process during each phase. */
  readonly cpuSeconds: {
    readonly source: number;
    readonly simulatorDuringSource: number;
    readonly rawClient: number | null;
    readonly simulatorDuringRaw: number | null;
  };
}

const DAY_MS = 86_400_000;
async function startSimulatorProcess(scale: number): Promise<{ child: Child; url: string }> {
  const child = runCli(['simulator', '--port', '0', '--scale', String(scale), '--tick-ms', '0', '--seed', '1']);
  const url = await waitFor(() => /(http:\/\/127\.0\.0\.1:\d+\/v2)/.exec(child.output())?.[1], {
    what: 'the simulator to listen',
    timeoutMs: 120_000,
    intervalMs: 200,
  });
  return { child, url };
}

async function admin(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${new URL(url).origin}/_admin/${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  if (!response.ok) throw new Error(`admin ${method} ${path} → ${response.status}`);
  return response.json();
}

/** The source's config file for a bench run against the simulator at `url`. */
function sourceConfigFile(
  url: string,
  options: Pick<SourceBenchOptions, 'requestsPerSecond' | 'concurrency' | 'topicPrefix'>,
  source: Record<string, unknown>,
): string {
  const configFile = benchConfigPath('source');
  const namespaced = namespacedNames(options.topicPrefix);
  writeFileSync(
    configFile,
    JSON.stringify({
      log: { level: 'warn', format: 'json' },
      bookeo: {
        baseUrl: url,
        secretKey: DEFAULT_SECRET_KEY,
        accounts: [{ id: 'bench', apiKey: DEFAULT_API_KEY }],
        requestsPerSecond: options.requestsPerSecond,
        maxConcurrency: options.concurrency,
      },
      kafka: {
        brokers: [stackEndpoints().kafkaBroker],
        topicPrefix: options.topicPrefix,
        clientId: options.topicPrefix,
        partitions: 3,
      },
      schemaRegistry: { url: stackEndpoints().registryUrl },
      source: { ...source, offsetsTopic: namespaced.offsetsTopic, deadLetterTopic: namespaced.deadLetterTopic },
    }),
  );
  return configFile;
}

/** Runs `work` against a simulator process of `scale` bookings, stopped afterwards whatever happens. */
async function withSimulator<T>(
  scale: number,
  work: (simulator: { child: Child; url: string }) => Promise<T>,
): Promise<T> {
  const simulator = await startSimulatorProcess(scale);
  try {
    return await work(simulator);
  } finally {
    simulator.child.process.kill('SIGTERM');
    await simulator.child.exit;
  }
}

interface SourceRun {
  readonly seconds: number;
  /** The status `--once` prints, per resource of the (one) account. */
  readonly resources: Readonly<
    Record<string, { readonly state: string; readonly records: number; readonly lastError: string | null }>
  >;
  readonly peakRssMb: number;
  readonly loadWindow: SourceBenchResult['loadWindow'];
  readonly profile: StageProfile;
}

interface LoadSample {
  /** Monotonic clock, µs (the clock of V8's profile timestamps). */
  readonly atMicros: number;
  readonly cpuSeconds: number;
  /** Committed end offsets of the topic, summed over its partitions (commit markers included). */
  readonly committed: number;
}

/** Every 100 ms, the child's CPU time and the committed end of `topic`, until `exit` resolves. */
async function sampleLoad(pid: number, topic: string, exit: Promise<unknown>): Promise<LoadSample[]> {
  const admin = await openAdmin(stackKafka('bench-source-load'));
  const samples: LoadSample[] = [];
  let exited = false;
  void exit.then(() => (exited = true));
  try {
    while (!exited) {
      const offsets = await admin.topicOffsets(topic).catch(() => []);
      const atMicros = Number(process.hrtime.bigint() / 1000n);
      let cpu: number;
      try {
        cpu = cpuSeconds(pid);
      } catch {
        break; // exited between samples
      }
      samples.push({ atMicros, cpuSeconds: cpu, committed: offsets.reduce((sum, p) => sum + p.high, 0) });
      await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, 100))]);
    }
  } finally {
    await admin.close();
  }
  return samples;
}

/** The first sample with records committed to the first with all of them; null when a single sample spans it all. */
function loadWindowOf(samples: readonly LoadSample[]): { first: LoadSample; last: LoadSample } | null {
  const total = samples.at(-1)?.committed ?? 0;
  const first = samples.find((sample) => sample.committed > 0);
  const last = samples.find((sample) => sample.committed === total);
  return first === undefined || last === undefined || last.committed === first.committed ? null : { first, last };
}

/** The source's path, named by step (first match wins; what no rule names is named by its module). */
const SOURCE_STAGES: StageRules = [
  [/node_modules\/kafkajs\/|\/dist\/kafka\//, 'Kafka produce + transactions'],
  [/node_modules\/avsc\/|\/dist\/avro\//, 'Avro'],
  [
    /\/dist\/bookeo\/catalog\/content-hash\.js|\/dist\/connector\/source\/(dedupe|publication-ledger|snapshot-diff)\.js/,
    'hashing + dedupe',
  ],
  [/\/dist\/connector\/source\/(offsets|committer|snapshot-state|target-state)\.js/, 'offsets + state'],
  [
    /node_modules\/(pino|prom-client|sonic-boom)\/|\/dist\/common\/(logger|metrics)|\/dist\/connector\/source\/(metrics|status)\.js/,
    'logging + metrics',
  ],
  [
    /node_modules\/undici\/|\/dist\/bookeo\/(client|transport|pagination|rate-budget|retry-after|errors)\.js|\/dist\/common\/retry\.js/,
    'fetch + JSON parse',
  ],
  [/\/dist\/(bookeo|contract|connector)\//, 'mapping to records'],
];

/**
 * `bookeo-connect source --once` in its own process (its peak RSS is its own), timed from the
 * spawn, so start-up (≈ 2-3 s: node, topics, registry subjects) is in the time. Fails when the
 * process or any of its resources failed.
 */
async function runSourceOnce(configFile: string, topic: string, env: NodeJS.ProcessEnv = {}): Promise<SourceRun> {
  const started = performance.now();
  const source = runCli(['source', '--once', '--config', configFile], env);
  const samples = await sampleLoad(source.process.pid as number, topic, source.exit);
  const exitCode = await source.exit;
  const seconds = (performance.now() - started) / 1000;
  if (exitCode !== 0) throw new Error(`the source exited with ${String(exitCode)}: ${source.output().slice(-2000)}`);
  const resources = (JSON.parse(source.stdout()) as Array<{ resources: SourceRun['resources'] }>)[0]?.resources ?? {};
  for (const [name, resource] of Object.entries(resources)) {
    if (resource.state === 'failed')
      throw new Error(`${name} failed during the benchmark: ${resource.lastError ?? 'unknown error'}`);
  }
  const window = loadWindowOf(samples);
  const records = Object.values(resources).reduce((sum, resource) => sum + resource.records, 0);
  const profile = source.profile(
    window === null ? undefined : { from: window.first.atMicros, to: window.last.atMicros },
    SOURCE_STAGES,
  );
  if (profile.sampledMs === 0) throw new Error('the source left no CPU profile');
  return {
    seconds,
    resources,
    peakRssMb: source.peakRssMb(),
    profile,
    loadWindow:
      window === null
        ? null
        : {
            // Commit markers take an offset each: scaled to the records the source reported.
            records: Math.round(
              ((window.last.committed - window.first.committed) * records) / Math.max(1, window.last.committed),
            ),
            seconds: Number(((window.last.atMicros - window.first.atMicros) / 1e6).toFixed(2)),
            cpuSeconds: Number((window.last.cpuSeconds - window.first.cpuSeconds).toFixed(2)),
          },
  };
}

/** Calls the simulator counted on endpoints starting with `endpoint` (e.g. `GET /bookings`). */
async function callsTo(url: string, endpoint: string): Promise<number> {
  const { counters } = (await admin(url, 'GET', 'counters')) as {
    counters: Array<{ endpoint: string; count: number }>;
  };
  return counters.filter((row) => row.endpoint.startsWith(endpoint)).reduce((sum, row) => sum + row.count, 0);
}

export function benchSource(options: SourceBenchOptions): Promise<SourceBenchResult> {
  return withSimulator(options.scale, async ({ child, url }) => {
    const backfillFrom = new Date(Date.now() - 400 * DAY_MS).toISOString().slice(0, 10);
    const reader = {
      url,
      secretKey: DEFAULT_SECRET_KEY,
      apiKey: DEFAULT_API_KEY,
      requests: bookingsBackfillPlan(backfillFrom, Date.now()),
      concurrency: options.concurrency,
    };
    // The raw read is also the minimum of calls; without it, page 1 of each planned window tells the minimum.
    const simulatorPid = child.process.pid as number;
    const rawCpu = { client: process.cpuUsage(), simulator: cpuSeconds(simulatorPid) };
    const raw = options.measureRaw ? await readWindows(reader) : undefined;
    const rawClientCpu = process.cpuUsage(rawCpu.client);
    const simulatorDuringRaw = cpuSeconds(simulatorPid) - rawCpu.simulator;
    const minimumCalls = raw?.pages ?? (await countPages(reader));
    if (options.latencyMs > 0)
      await admin(url, 'PUT', `faults?apiKey=${DEFAULT_API_KEY}`, { latencyMs: options.latencyMs });
    await admin(url, 'DELETE', 'counters');

    const configFile = sourceConfigFile(url, options, {
      resources: ['bookings'],
      backfillFrom,
      parallelWindows: options.parallelWindows,
    });
    const cpuBefore = { source: cpuSeconds('self', true), simulator: cpuSeconds(simulatorPid) };
    const nodeOptions = process.env.BENCH_SOURCE_NODE_OPTIONS;
    const { seconds, resources, peakRssMb, loadWindow, profile } = await runSourceOnce(
      configFile,
      resourceTopic(options.topicPrefix, 'bookings'),
      nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions },
    );
    // The source has exited and been reaped: its CPU time is now in this process's children's total.
    const sourceCpu = cpuSeconds('self', true) - cpuBefore.source;
    const simulatorDuringSource = cpuSeconds(simulatorPid) - cpuBefore.simulator;
    const records = resources.bookings?.records ?? 0;
    const calls = await callsTo(url, 'GET /bookings');
    return {
      scale: options.scale,
      latencyMs: options.latencyMs,
      records,
      seconds: Number(seconds.toFixed(1)),
      recordsPerSecond: Math.round(records / seconds),
      rawItemsPerSecond: raw === undefined ? null : Math.round(raw.items / raw.seconds),
      calls,
      minimumCalls,
      peakRssMb,
      simulatorPeakRssMb: child.peakRssMb(),
      loadWindow,
      profile,
      cpuSeconds: {
        source: Number(sourceCpu.toFixed(2)),
        simulatorDuringSource: Number(simulatorDuringSource.toFixed(2)),
        rawClient: raw === undefined ? null : Number(((rawClientCpu.user + rawClientCpu.system) / 1e6).toFixed(2)),
        simulatorDuringRaw: raw === undefined ? null : Number(simulatorDuringRaw.toFixed(2)),
      },
    };
  });
}

/**
 * The source's CPU per record in its load window (and over the whole process, start-up included)
 * beside the simulator's, the rate those allow on this machine's cores, and that CPU per stage.
 */
export function sourceCpuNote(result: SourceBenchResult): string {
  const micros = (seconds: number, records: number): number => Math.round((seconds * 1e6) / Math.max(1, records));
  const whole = micros(result.cpuSeconds.source, result.records);
  const window = result.loadWindow;
  const source = window === null ? whole : micros(window.cpuSeconds, window.records);
  const simulator = micros(result.cpuSeconds.simulatorDuringSource, result.records);
  const cores = availableParallelism();
  const sourceText =
    window === null
      ? `source ${whole} µs (whole process, start-up included: no load window)`
      : `source ${source} µs in its load window (${window.records} records, ${window.seconds} s; whole process ${whole} µs, start-up included)`;
  return (
    `CPU per record: ${sourceText} + simulator ${simulator} µs → at most ${Math.round((cores * 1e6) / Math.max(1, source + simulator))} records/s on ${cores} cores; ` +
    `of the source's ${source} µs per record (main-thread profile shares): ${formatStages(result.profile, source)}`
  );
}

export interface FullListingBenchResult {
  readonly customers: number;
  readonly linkedPeople: number;
  readonly calls: number;
  readonly seconds: number;
  /** Calls ÷ the rate budget: the least time any run within the budget takes. */
  readonly budgetSeconds: number;
  readonly peakRssMb: number;
}

/**
 * The first full listing of customers with their linked people (one call per customer) with API
 * latency: the calls are paced by the account's rate budget, not made one at a time.
 */
export function benchFullListing(options: {
  readonly scale: number;
  readonly latencyMs: number;
  readonly requestsPerSecond: number;
  readonly concurrency: number;
  readonly topicPrefix: string;
}): Promise<FullListingBenchResult> {
  return withSimulator(options.scale, async ({ url }) => {
    await admin(url, 'PUT', `faults?apiKey=${DEFAULT_API_KEY}`, { latencyMs: options.latencyMs });
    await admin(url, 'DELETE', 'counters');
    const { seconds, resources, peakRssMb } = await runSourceOnce(
      sourceConfigFile(url, options, { resources: ['customers', 'customers_people'] }),
      resourceTopic(options.topicPrefix, 'customers'),
    );
    const calls = await callsTo(url, 'GET /customers');
    return {
      customers: resources.customers?.records ?? 0,
      linkedPeople: resources.customers_people?.records ?? 0,
      calls,
      seconds: Number(seconds.toFixed(1)),
      budgetSeconds: Number((calls / options.requestsPerSecond).toFixed(1)),
      peakRssMb,
    };
  });
}
