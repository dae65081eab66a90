/**
 * Where a child's CPU goes, per stage: its V8 CPU profile (`--cpu-prof`, written when it exits)
 * summed by the code that spent it, so a bench row says what is left to gain and where.
 *
 * A sample goes to the stage of the innermost frame on its stack that a rule names (the source's
 * rules name steps of its path: a `JSON.parse` called by the Bookeo client is fetching); without a
 * rule, to the innermost frame that is the project's own code (by folder: `sinks/runner`,
 * `sinks/clickhouse`, …) or a library (`kafkajs`, `avsc`, …). Node's internals and builtins count
 * for whoever called them; samples inside module loading are start-up, garbage collection is its
 * own stage, idle time is left out.
 *
 * Only JavaScript threads are sampled, at wall-clock intervals: on a busy machine a sample also
 * counts time the thread waited for a core, and work a native library does on its own threads is
 * not seen. So the stages are printed as their shares of the CPU the process really spent
 * (measured apart), per record. A window (µs on the monotonic clock, which `process.hrtime` and
 * V8's profiler both read on Linux) keeps only the samples taken while records were flowing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** Frame URL patterns and the stage they name, first match wins; `dist/<folder>/` is the compiled project. */
export type StageRules = ReadonlyArray<readonly [RegExp, string]>;

export interface ProfileWindow {
  readonly from: number;
  readonly to: number;
}

export interface StageProfile {
  /** Main-thread milliseconds sampled in the window. */
  readonly sampledMs: number;
  /** Milliseconds per stage (stages with none left out). */
  readonly stagesMs: Readonly<Record<string, number>>;
}

/** Now on the clock the profiler stamps its samples with. */
export const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);

const MODULE_LOADING = /^node:internal\/modules\//;
const LIBRARY = /node_modules\/((?:@[^/]+\/)?[^/]+)\//;
/** Two levels under `sinks/` and `connector/`, one elsewhere. */
const PROJECT = /\/dist\/((?:sinks|connector)\/[^/.]+|[^/.]+)[/.]/;

const moduleOf = (url: string): string | undefined => LIBRARY.exec(url)?.[1] ?? PROJECT.exec(url)?.[1];

/** Summarises one profile; `rules` name stages before the module names do. */
export function summariseCpuProfile(profile: CpuProfile, window?: ProfileWindow, rules: StageRules = []): StageProfile {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const stageOfNode = new Map<number, string | null>();
  const classify = (id: number): string | null => {
    const known = stageOfNode.get(id);
    if (known !== undefined) return known;
    let ruled: string | undefined;
    let module: string | undefined;
    let stage: string | null | undefined;
    for (let at: number | undefined = id; at !== undefined && stage === undefined; at = parent.get(at)) {
      const { functionName, url } = (byId.get(at) as ProfileNode).callFrame;
      if (MODULE_LOADING.test(url)) stage = 'start-up';
      else if (functionName === '(idle)') stage = null;
      else if (functionName === '(garbage collector)') stage = 'GC';
      ruled ??= rules.find(([pattern]) => pattern.test(url))?.[1];
      module ??= moduleOf(url);
    }
    const resolved = stage === undefined ? (ruled ?? module ?? 'other') : stage;
    stageOfNode.set(id, resolved);
    return resolved;
  };

  const stagesMs: Record<string, number> = {};
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

/** The one `.cpuprofile` a child wrote into its own folder, summarised (empty when it wrote none: killed). */
export function readCpuProfile(directory: string, window?: ProfileWindow, rules?: StageRules): StageProfile {
  const file = readdirSync(directory).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) return { sampledMs: 0, stagesMs: {} };
  return summariseCpuProfile(JSON.parse(readFileSync(join(directory, file), 'utf8')) as CpuProfile, window, rules);
}

/** `stage a 12, stage b 7, …` (µs per record): each stage's share of `cpuMicrosPerRecord`, largest first, those under 1 µs summed as `rest`. */
export function formatStages(profile: StageProfile, cpuMicrosPerRecord: number): string {
  if (profile.sampledMs === 0) return 'no profile';
  const perRecord = Object.entries(profile.stagesMs)
    .map(([stage, ms]) => [stage, (ms / profile.sampledMs) * cpuMicrosPerRecord] as const)
    .sort(([, a], [, b]) => b - a);
  const shown = perRecord.filter(([, micros]) => micros >= 1);
  const rest = perRecord.filter(([, micros]) => micros < 1).reduce((sum, [, micros]) => sum + micros, 0);
  return [
    ...shown.map(([stage, micros]) => `${stage} ${Math.round(micros)}`),
    ...(rest >= 0.5 ? [`rest ${Math.round(rest)}`] : []),
  ].join(', ');
}
