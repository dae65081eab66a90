/**
 * A child's Prometheus metrics, read from its ops port (`/metrics`): the samples of one metric,
 * each with its labels, for the benchmarks that follow a sink by its own counters.
 */

export interface MetricSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Every sample of `name` (a full sample name, e.g. `…_seconds_sum`) the process at `opsUrl` exposes now. */
export async function metricSamples(opsUrl: string, name: string): Promise<MetricSample[]> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = /^[^{ ]*\{([^}]*)\}/.exec(line)?.[1] ?? '';
    const labels = Object.fromEntries(
      [...labelText.matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]),
    );
    samples.push({ labels, value: Number(line.slice(line.lastIndexOf(' ') + 1)) });
  }
  return samples;
}

/** The sum of every sample of `name`. */
export const metricTotal = async (opsUrl: string, name: string): Promise<number> =>
  (await metricSamples(opsUrl, name)).reduce((sum, sample) => sum + sample.value, 0);
