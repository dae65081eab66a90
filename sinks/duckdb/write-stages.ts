/**
 * Where a DuckDB write's time goes, summed over the destination's life: transcoding the batch's
 * Avro bodies into data chunks (JavaScript, before the table's connection is taken), the Appender
 * copying the chunks into the staging table (batches that are not appended straight into their
 * table), and applying the batch: the whole transaction of a batch appended into its table, or the
 * SQL that applies a staged one (the look at stored keys, then an insert or the merge). The
 * destination logs the totals when it closes, and the bench reads them from that line, so the next
 * person sees which stage is left to speed up without a profiler.
 */

export const WRITE_STAGES = ['convert', 'append', 'apply'] as const;
export type WriteStage = (typeof WRITE_STAGES)[number];

/** How a batch went in (apply.ts): appended straight into its table, inserted from the staging table as it was, or merged. */
export const WRITE_PATHS = ['appended', 'inserted', 'merged'] as const;
export type WritePath = (typeof WRITE_PATHS)[number];

export interface WriteStageTotals {
  readonly batches: number;
  /** Rows applied (the latest record per key of each batch). */
  readonly rows: number;
  /** Batches by the way they went in. */
  readonly paths: Readonly<Record<WritePath, number>>;
  /** Inserts tried without a look at the stored keys that a stored or deleted key refused (then applied after the look). */
  readonly refusedInserts: number;
  /** Wall-clock milliseconds per stage. */
  readonly ms: Readonly<Record<WriteStage, number>>;
}

export class WriteStages {
  private batches = 0;
  private rows = 0;
  private readonly paths: Record<WritePath, number> = { appended: 0, inserted: 0, merged: 0 };
  private refusedInserts = 0;
  private readonly ms: Record<WriteStage, number> = { convert: 0, append: 0, apply: 0 };

  /** Runs `work`, adding its wall time to `stage`. */
  async time<T>(stage: WriteStage, work: () => Promise<T> | T): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.ms[stage] += performance.now() - started;
    }
  }

  /** An insert without the look at stored keys was refused. */
  refusedInsert(): void {
    this.refusedInserts += 1;
  }

  /** A batch of `rows` rows went in by `path`. */
  applied(rows: number, path: WritePath): void {
    this.batches += 1;
    this.rows += rows;
    this.paths[path] += 1;
  }

  totals(): WriteStageTotals {
    const ms = Object.fromEntries(WRITE_STAGES.map((stage) => [stage, Math.round(this.ms[stage])])) as Record<
      WriteStage,
      number
    >;
    return {
      batches: this.batches,
      rows: this.rows,
      paths: { ...this.paths },
      refusedInserts: this.refusedInserts,
      ms,
    };
  }
}
