/**
 * A V8 CPU profile (`node --cpu-prof`) of the source summarised by stage, so the bench row says
 * where the source's CPU goes per record and the next person sees what is left.
 *
 * Each sample goes to the stage of the innermost frame on its stack that belongs to a known
 * module or folder (a `JSON.parse` called by the Bookeo client is fetching, a `Buffer` made by
 * the Avro writer is Avro); samples inside module loading are start-up whatever they run.
 * A profile samples the main thread at wall-clock intervals, which on a busy machine also count
 * time the thread waited for a core; so the stages are printed as their shares of the CPU time the
 * process really spent (measured apart), in µs per record.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The stages, in the order of a record's path through the source. */
export const STAGES = [
  'fetch + JSON parse',
  'mapping to records',
  'Avro',
  'hashing + dedupe',
  'Kafka produce + transactions',
  'offsets + state',
  'logging + metrics',
  'GC',
  'other',
  'start-up',
] as const;
export type Stage = (typeof STAGES)[number];

/** Matched against a frame's URL, first match wins; `dist/<folder>/` is the compiled project. */
const RULES: ReadonlyArray<readonly [RegExp, Stage]> = [
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

const MODULE_LOADING = /^node:internal\/modules\//;

function stageOfFrame(url: string): Stage | undefined {
  for (const [pattern, stage] of RULES) if (pattern.test(url)) return stage;
  return undefined;
}

export interface StageProfile {
  /** Main-thread CPU milliseconds sampled in the window. */
  readonly sampledMs: number;
  /** Milliseconds per stage (stages with none left out). */
  readonly stagesMs: Partial<Record<Stage, number>>;
}

/**
 * Summarises `file`; `window` (µs on the monotonic clock, as `process.hrtime` and V8's profiler
 * both read it) keeps only the samples taken within it.
 */
export function summariseCpuProfile(
  file: string,
  window?: { readonly from: number; readonly to: number },
): StageProfile {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const stageOfNode = new Map<number, Stage | null>();
  const classify = (id: number): Stage | null => {
    const known = stageOfNode.get(id);
    if (known !== undefined) return known;
    let innermost: Stage | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url } = (byId.get(at) as ProfileNode).callFrame;
      if (MODULE_LOADING.test(url)) return cache(id, 'start-up');
      if (functionName === '(idle)') return cache(id, null);
      if (functionName === '(garbage collector)') return cache(id, 'GC');
      innermost ??= stageOfFrame(url);
    }
    return cache(id, innermost ?? 'other');
  };
  const cache = (id: number, stage: Stage | null): Stage | null => {
    stageOfNode.set(id, stage);
    return stage;
  };

  const stagesMs: Partial<Record<Stage, number>> = {};
  let sampledMs = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window !== undefined && (at < window.from || at > window.to)) continue;
    const stage = classify(profile.samples[i] as number);
    if (stage === null) continue;
    stagesMs[stage] = (stagesMs[stage] ?? 0) + delta / 1000;
    sampledMs += delta / 1000;
  }
  return { sampledMs, stagesMs };
}

/** `stage a, stage b, …`: each stage's share of `cpuMicrosPerRecord`, largest first. */
export function formatStages(profile: StageProfile, cpuMicrosPerRecord: number): string {
  return Object.entries(profile.stagesMs)
    .sort(([, a], [, b]) => b - a)
    .map(([stage, ms]) => `${stage} ${Math.round((ms / Math.max(1e-9, profile.sampledMs)) * cpuMicrosPerRecord)}`)
    .join(', ');
}
