/**
 * Which resources are failing as a whole: per topic, how many records in a row went to the
 * dead-letter topic since the last one written. Single bad records are the DLQ's job; a topic whose
 * last `threshold` records all went there (a schema the destination refuses, a column it cannot
 * hold) is an outage of that resource, so /readyz turns false with its name and the gauge
 * `bookeo_connect_sink_resource_dead_lettering{topic}` reads 1 until a record of it is written again.
 */
import type { Gauge } from '../../common/metrics.js';

export interface DeadLetterStreaks {
  written(topic: string): void;
  deadLettered(topic: string): void;
  /** Why the sink is not ready because of dead-lettered resources; undefined when none is. */
  reason(): string | undefined;
}

export function createDeadLetterStreaks(threshold: number, gauge: Gauge<'topic'>): DeadLetterStreaks {
  const streaks = new Map<string, number>();
  return {
    written(topic) {
      if ((streaks.get(topic) ?? 0) === 0) return;
      streaks.set(topic, 0);
      gauge.set({ topic }, 0);
    },
    deadLettered(topic) {
      const streak = (streaks.get(topic) ?? 0) + 1;
      streaks.set(topic, streak);
      if (streak === threshold) gauge.set({ topic }, 1);
    },
    reason() {
      const failing = [...streaks].filter(([, streak]) => streak >= threshold).map(([topic]) => topic);
      if (failing.length === 0) return undefined;
      return `every record of ${failing.sort().join(', ')} goes to the dead-letter topic (the last ${threshold} or more in a row)`;
    },
  };
}
