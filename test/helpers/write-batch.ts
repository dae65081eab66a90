/**
 * Write batches for destination tests, as the runner hands them over (Avro bodies and a resolved
 * schema, sinks/destination.ts), made from decoded records so that tests state values plainly:
 * each value encoded with the table's Avro value schema (decimals given as exact text, as the
 * decoder returns them) and read back by a real resolved schema.
 */
import avsc from 'avsc';
import { integerToBytes } from '../../avro/logical.js';
import type { TableSpec } from '../../sinks/columns.js';
import type { AvroSinkRecord, SinkRecord, WriteBatch } from '../../sinks/destination.js';
import { resolvedSchema, schemaVersion } from '../../sinks/runner/registry-decoder.js';

export interface BatchPlace {
  readonly topic: string;
  readonly partition?: number;
  readonly ingestedAtMs?: number;
}

/** Decimal text → Avro bytes at the schema's scale, without a precision check (a test may want a value too wide for its column). */
class DecimalFromText extends avsc.types.LogicalType {
  private readonly scale: number;
  constructor(schema: avsc.Schema, options?: unknown) {
    super(schema, options);
    this.scale = Number((schema as { scale?: number }).scale ?? 0);
  }
  protected override _fromValue(value: unknown): unknown {
    return value;
  }
  protected override _toValue(value: unknown): unknown {
    if (typeof value !== 'string' && typeof value !== 'number') return value;
    const [whole = '0', fraction = ''] = String(value).split('.');
    if (fraction.length > this.scale) throw new RangeError(`${value} has more than ${this.scale} decimals`);
    return integerToBytes(BigInt(`${whole}${fraction.padEnd(this.scale, '0')}`));
  }
}

function place(
  records: readonly { readonly offset: number }[],
  at: BatchPlace,
): Omit<WriteBatch, 'schema' | 'records'> {
  return {
    topic: at.topic,
    partition: at.partition ?? 0,
    firstOffset: records[0]?.offset ?? 0,
    lastOffset: records[records.length - 1]?.offset ?? 0,
    ingestedAtMs: at.ingestedAtMs ?? Date.now(),
  };
}

/** The records encoded with `valueSchema` (the one `table` was described from); the version's id is the first upsert's schema id. */
export function avroBatch(
  table: TableSpec,
  valueSchema: unknown,
  records: readonly SinkRecord[],
  at: BatchPlace,
): WriteBatch {
  const writer = avsc.Type.forSchema(
    valueSchema as avsc.Schema,
    { logicalTypes: { decimal: DecimalFromText } } as unknown as Partial<avsc.ForSchemaOptions>,
  );
  const version = schemaVersion(records.find((record) => record.value !== null)?.schemaId ?? 1, valueSchema);
  const avroRecords: AvroSinkRecord[] = records.map(({ key, value, offset, schemaId }) => ({
    key,
    body: value === null ? null : writer.toBuffer(value),
    offset,
    schemaId,
  }));
  // Every record here was written with this one schema, whatever lineage id it carries.
  return { ...place(records, at), schema: resolvedSchema(version, table, () => version), records: avroRecords };
}
