/**
 * Where a child's CPU goes, per stage: its V8 CPU profile (`--cpu-prof`, written when it exits)
 * summed by the code that spent it. A sample counts for the nearest frame on its stack that is
 * either the project's own code (by folder: `sinks/runner`, `sinks/clickhouse`, `avro`, …) or a
 * library (`kafkajs`, `avsc`, …); Node's internals and builtins (Buffer, JSON, streams) count for
 * whoever called them. Garbage collection is its own stage; idle time is left out.
 *
 * Only JavaScript threads are sampled: work a native library does on its own threads (DuckDB's
 * engine, for one) is the process's CPU minus what the profile saw, which the benchmarks give next
 * to it. A window (CLOCK_MONOTONIC microseconds, as `process.hrtime` and V8's profiler both read
 * on Linux) limits the summary to the samples taken while rows were flowing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly url: string; readonly functionName: string };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface StageShare {
  readonly stage: string;
  readonly ms: number;
  /** Of the sampled, non-idle time in the window. */
  readonly share: number;
}

export interface CpuWindow {
  readonly fromMicros: number;
  readonly toMicros: number;
}

/** Now on the clock the profiler stamps its samples with. */
export const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);

const LIBRARY = /node_modules\/((?:@[^/]+\/)?[^/]+)\//;
/** The project's compiled code: `dist/<folder>/…` (two levels under `sinks/` and `connector/`). */
const PROJECT = /\/dist\/((?:sinks|connector)\/[^/]+|[^/]+)\//;
const SPECIAL = new Map([
  ['(garbage collector)', 'gc'],
  ['(program)', 'v8 (program)'],
]);

function ownStage(node: ProfileNode): string | undefined {
  const special = SPECIAL.get(node.callFrame.functionName);
  if (special !== undefined) return special;
  const url = node.callFrame.url;
  return LIBRARY.exec(url)?.[1] ?? PROJECT.exec(url)?.[1]?.replace(/\.js$/, '');
}

/** Self time per stage, largest first, from one profile file. */
export function stageShares(profile: CpuProfile, window?: CpuWindow): StageShare[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stageOf = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = stageOf.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const up = parent.get(id);
    const stage = (node && ownStage(node)) ?? (up === undefined ? 'node (other)' : resolve(up));
    stageOf.set(id, stage);
    return stage;
  };
  const micros = new Map<string, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (window && (at < window.fromMicros || at > window.toMicros)) return;
    if (byId.get(id)?.callFrame.functionName === '(idle)') return;
    const stage = resolve(id);
    micros.set(stage, (micros.get(stage) ?? 0) + delta);
  });
  const total = [...micros.values()].reduce((sum, value) => sum + value, 0);
  return [...micros]
    .map(([stage, value]) => ({ stage, ms: Math.round(value / 1000), share: total === 0 ? 0 : value / total }))
    .sort((a, b) => b.ms - a.ms);
}

/** The one `.cpuprofile` a child wrote into its own folder, summarised. */
export function readStageShares(directory: string, window?: CpuWindow): StageShare[] {
  const file = readdirSync(directory).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) return [];
  return stageShares(JSON.parse(readFileSync(join(directory, file), 'utf8')) as CpuProfile, window);
}

/** "kafkajs 31%, sinks/clickhouse 22%, …, other 4%": the stages above 2%, the rest summed. */
export function formatStageShares(shares: readonly StageShare[]): string {
  if (shares.length === 0) return 'no profile';
  const shown = shares.filter((share) => share.share >= 0.02);
  const rest = shares.filter((share) => share.share < 0.02).reduce((sum, share) => sum + share.share, 0);
  const percent = (share: number): string => `${Math.round(share * 100)}%`;
  return [
    ...shown.map((share) => `${share.stage} ${percent(share.share)}`),
    ...(rest > 0 ? [`other ${percent(rest)}`] : []),
  ].join(', ');
}
