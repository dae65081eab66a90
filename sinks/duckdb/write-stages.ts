/**
 * Where a DuckDB write's time goes, summed over the destination's life: decoding the batch's Avro
 * bodies and turning them into data chunks (JavaScript, before the table's connection is taken),
 * the Appender (node-api copying the chunks into DuckDB), and the SQL that applies the batch (the
 * merge, or only the key check of a batch appended straight into the table). The destination logs
 * the totals when it closes, and the bench reads them from that line, so the next person sees which
 * stage is left to speed up without a profiler.
 */

export const WRITE_STAGES = ['convert', 'append', 'apply'] as const;
export type WriteStage = (typeof WRITE_STAGES)[number];

export interface WriteStageTotals {
  readonly batches: number;
  /** Rows applied (the latest record per key of each batch). */
  readonly rows: number;
  /** Batches appended straight into the table (no staging, no merge). */
  readonly directBatches: number;
  /** Wall-clock milliseconds per stage. */
  readonly ms: Readonly<Record<WriteStage, number>>;
}

export class WriteStages {
  private batches = 0;
  private rows = 0;
  private directBatches = 0;
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

  /** A batch applied with `rows` rows, straight into the table or through the merge. */
  applied(rows: number, direct: boolean): void {
    this.batches += 1;
    this.rows += rows;
    if (direct) this.directBatches += 1;
  }

  totals(): WriteStageTotals {
    const ms = Object.fromEntries(WRITE_STAGES.map((stage) => [stage, Math.round(this.ms[stage])])) as Record<
      WriteStage,
      number
    >;
    return { batches: this.batches, rows: this.rows, directBatches: this.directBatches, ms };
  }
}
