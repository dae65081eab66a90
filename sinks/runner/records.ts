/**
 * A batch's row entries → what a destination's write takes: Avro bodies as they came
 * (`writeAvro`, when the destination has it and the batch holds one value schema version) or
 * records decoded into the batch's reader version (`write`). Decoding happens here, at write time,
 * so objects exist only while their batch is being written.
 */
import { isRetriable } from '../../common/errors.js';
import { unframe } from '../../avro/wire.js';
import type { AvroSinkRecord, SinkRecord } from '../destination.js';
import type { RecordDecoder, SinkEntry } from './decode.js';

export type RowEntry = Extract<SinkEntry, { kind: 'upsert' | 'delete' }>;

/** Whether every upsert was written with the reader version (then no value needs resolving). */
export function oneVersion(rows: readonly RowEntry[], valueSchemaId: number): boolean {
  return rows.every((row) => row.kind === 'delete' || row.value.schemaId === valueSchemaId);
}

export function avroRecords(rows: readonly RowEntry[]): AvroSinkRecord[] {
  return rows.map((row) => ({
    key: row.key.value as Record<string, unknown>,
    body: row.kind === 'delete' ? null : unframe(row.message.value as Buffer).body,
    offset: row.offset,
    schemaId: row.kind === 'delete' ? row.key.schemaId : row.value.schemaId,
  }));
}

/** The rows as records of the reader version; throws `UndecodableRecords` naming every value that does not decode. */
export async function decodedRecords(decoder: RecordDecoder, rows: readonly RowEntry[], valueSchemaId: number): Promise<SinkRecord[]> {
  const records: SinkRecord[] = [];
  const undecodable = new Map<RowEntry, unknown>();
  for (const row of rows) {
    const key = row.key.value as Record<string, unknown>;
    if (row.kind === 'delete') {
      records.push({ key, value: null, offset: row.offset, schemaId: row.key.schemaId });
      continue;
    }
    try {
      const decoded = await decoder.decodeValue(row.message.value as Buffer, valueSchemaId);
      records.push({ key, value: decoded.value as Record<string, unknown>, offset: row.offset, schemaId: row.value.schemaId });
    } catch (error) {
      // An unreachable registry is an outage (retried by the caller), not a bad record.
      if (isRetriable(error)) throw error;
      undecodable.set(row, error);
    }
  }
  if (undecodable.size > 0) throw new UndecodableRecords(undecodable);
  return records;
}

/** Why the value of an upsert does not decode with its own schema, or undefined when it does. */
export async function decodeFailure(decoder: RecordDecoder, row: RowEntry): Promise<unknown> {
  if (row.kind === 'delete') return undefined;
  try {
    await decoder.decodeValue(row.message.value as Buffer);
    return undefined;
  } catch (error) {
    if (isRetriable(error)) throw error;
    return error;
  }
}

/** Values of a batch that do not decode (into the reader version chosen for it); not retriable, so it passes the retries to the split logic. */
export class UndecodableRecords extends Error {
  readonly rows: ReadonlyMap<RowEntry, unknown>;
  constructor(rows: ReadonlyMap<RowEntry, unknown>) {
    super(`${rows.size} record(s) do not decode`);
    this.name = 'UndecodableRecords';
    this.rows = rows;
  }
}
